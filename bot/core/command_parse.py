"""Typed lines and typed options into a :class:`Call` of a command of ``COMMANDS``, once, here.

``parse`` reads a line such as ``/latest@newsbot world 3`` (Telegram text, the console);
``bind`` takes options that arrive typed (Discord's options, buttons). Both check the values
against the command's parameters and answer bad input with one ``Reply(kind=ERROR)`` that
says what to type.

Words fill the parameters left to right. An optional parameter lets a word it does not fit pass
to a later one that does (``/latest 3``: a bare number is a count, not a feed), and a ``rest``
parameter takes the rest of the line as typed (``/alert "interest rates" ecb``), but for
trailing words that fit the parameters after it (``/latest ukraine -football 3``). A ``file``
parameter is never typed: the adapter passes the attached file (``upload``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from bot.core.command_table import Command, Kind, Param, Who, find
from bot.core.i18n import _
from bot.core.models import Reply, ReplyKind
from bot.core.ports import Upload

_NUMBER = re.compile(r"[0-9]{1,9}")
_WORD = re.compile(r"\S+")

Value = str | int | Upload | None


@dataclass(frozen=True)
class Call:
    """A command with its values checked: ready for ``Commands.run``."""

    command: Command
    args: tuple[Value, ...] = ()
    """One value per parameter of ``command.typed``, ``None`` where an optional one is absent."""
    channel: str = ""
    """The other chat named first in a typed line (``@channel``), for the adapter to resolve."""

    @property
    def needs_admin(self) -> bool:
        """Only the chat's administrators may run this call (``Command.who``)."""
        who = self.command.who
        given = any(a is not None for a in self.args)
        return who == Who.ADMINS or (who == Who.ADMINS_TO_CHANGE and given)

    @property
    def fetches(self) -> bool:
        """It may fetch a URL (``/subscribe <URL>``, the feeds of an ``/import`` file): slow,
        up to the fetch deadline (per URL)."""
        return self.command.fetches and any(
            (isinstance(a, str) and is_url(a)) or (p.kind == Kind.FILE and a is not None)
            for p, a in zip(self.command.typed, self.args, strict=True)
        )


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def number(word: str) -> int | None:
    """``word`` as a whole number when it is 1-9 ASCII digits, else ``None``.

    ``str.isdigit`` is not enough: it accepts "²" and other Unicode digits that ``int`` refuses,
    and an unbounded number overflows the database's integer column.
    """
    return int(word) if _NUMBER.fullmatch(word) else None


def parse(
    text: str,
    *,
    bot_name: str = "",
    channel: Callable[[str], bool] | None = None,
    upload: Upload | None = None,
) -> Call | Reply | None:
    """A typed line as a call, an error reply, or ``None`` when it is no command for this bot.

    ``bot_name``: ``/cmd@other`` for another bot is ``None``. ``channel``: recognises a word
    naming another chat; such a first word of a command that takes a channel becomes
    ``Call.channel``. ``upload``: the file the message carries, for a ``file`` parameter.
    """
    text = text.strip()
    if not text.startswith("/"):
        return None
    word, _sep, rest = text[1:].partition(" ")
    name, _sep, addressee = word.partition("@")
    if addressee and bot_name and addressee.lower() != bot_name.lower():
        return None
    command = find(name)
    if command is None:
        return Reply(
            _('Unknown command "/{name}". /help lists the commands.', name=name), ReplyKind.ERROR
        )
    rest = rest.strip()
    handle = ""
    if channel is not None and command.channel:
        first, _sep, after = rest.partition(" ")
        if channel(first):
            handle, rest = first, after.strip()
    words = _words(command, rest)
    if isinstance(words, Reply):
        return words
    options: dict[str, object] = dict(words)
    if upload is not None:
        options |= {p.name: upload for p in command.typed if p.kind == Kind.FILE}
    call = bind(command.name, options)
    return Call(call.command, call.args, handle) if isinstance(call, Call) else call


def bind(name: str, options: Mapping[str, object]) -> Call | Reply:
    """Check typed ``options`` (by parameter name) for the command ``name``."""
    command = find(name)
    if command is None:
        raise KeyError(name)
    unknown = set(options) - {p.name for p in command.typed}
    if unknown:
        raise TypeError(f"/{name} has no parameter {', '.join(sorted(unknown))}")
    args: list[Value] = []
    for param in command.typed:
        raw = options.get(param.name)
        if isinstance(raw, str):
            raw = raw.strip() or None
        if raw is None:
            if not param.optional:
                return Reply(_(param.missing) if param.missing else usage(command), ReplyKind.ERROR)
            args.append(None)
            continue
        value = _value(param, raw)
        if value is None:
            return Reply(usage(command), ReplyKind.ERROR)
        args.append(value)
    return Call(command, tuple(args))


def usage(command: Command) -> str:
    """The usage answer: ``Usage: /unalert <id>. /alerts shows the ids.``"""
    hint = f" {_(command.hint)}" if command.hint else ""
    return _("Usage: /{name} {usage}.", name=command.name, usage=command.usage) + hint


def _words(command: Command, rest: str) -> dict[str, str] | Reply:
    """The words of ``rest`` by parameter name (see the module docstring)."""
    params = tuple(p for p in command.typed if p.kind != Kind.FILE)
    if not params:
        return {}  # "/start <payload>", "/help me": extra words are no error
    found = list(_WORD.finditer(rest))
    values: dict[str, str] = {}
    i = 0
    for j, param in enumerate(params):
        if i >= len(found):
            break
        word = found[i].group()
        later = params[j + 1 :]
        alone = not param.rest or i == len(found) - 1  # "/latest 2024 election" is words
        if (
            param.optional
            and alone
            and not _fits(param, word)
            and any(_fits(p, word) for p in later)
        ):
            continue
        if param.rest:
            end = _trailing(later, [w.group() for w in found[i:]])
            for p, w in zip(later, found[len(found) - end :], strict=False):
                values[p.name] = w.group()
            if end < len(found) - i:
                values[param.name] = rest[found[i].start() : found[len(found) - end - 1].end()]
            i = len(found)
            break
        values[param.name] = word
        i += 1
    if i < len(found):
        return Reply(usage(command), ReplyKind.ERROR)
    return values


def _trailing(later: tuple[Param, ...], words: list[str]) -> int:
    """How many of the last ``words`` go to the parameters after a ``rest`` one: as many as
    fit them in order, the ``rest`` one keeping at least one word."""
    take = min(len(later), len(words) - 1)
    while take and not all(_fits(p, w) for p, w in zip(later, words[-take:], strict=False)):
        take -= 1
    return take


def _fits(param: Param, word: str) -> bool:
    """Whether ``word`` looks like a value of ``param``: numbers are counts and ids only."""
    return (number(word) is not None) == (param.kind == Kind.NUMBER)


def _value(param: Param, raw: object) -> Value:
    """``raw`` as the parameter's type, or ``None`` when it is not one."""
    if param.kind == Kind.FILE:
        return None if isinstance(raw, str | int) else cast(Upload, raw)
    if param.kind != Kind.NUMBER:
        return str(raw)
    n = raw if isinstance(raw, int) and not isinstance(raw, bool) else number(str(raw))
    if n is None:
        return None
    low = param.low if param.low is not None else n
    high = param.high if param.high is not None else n
    if low <= n <= high:
        return n
    return max(low, min(n, high)) if param.clamp else None
