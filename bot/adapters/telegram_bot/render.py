"""Telegram HTML for briefs, digests and replies: pure functions, no I/O, no ``telegram`` objects.

Telegram limits a text message to 4096 characters, counted in UTF-16 code units of the text
left after entity parsing: tags removed, ``&amp;`` counted as one ``&``. Every renderer here
builds the HTML and that visible text side by side (:class:`Rendered` ``html`` / ``plain``), so
lengths are measured on what Telegram measures, and cuts are made in the plain strings *before*
escaping: a cut can never land inside a tag or an entity. ``plain`` doubles as the text sent
without a parse mode when Telegram refuses the HTML.

Layout (docs/delivery.md, "How a brief reads"): the headline in bold linking to the article,
the summary, then the footer (``source · 2 h ago · also X``) in italics; an alert is prefixed
``Alert "kursk": ``. A brief that is too long loses the end of its summary, cut after the last
whole sentence that fits.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.core import briefs
from bot.core.i18n import _
from bot.core.models import Brief, Reply
from bot.core.sentence_ends import sentence_ends

TEXT_LIMIT = 4096
"""Longest text message, in UTF-16 code units after entity parsing."""
HEADLINE_LIMIT = 300
"""Headlines (and footers, digest lines) longer than this are clipped at a word."""
CALLBACK_DATA_LIMIT = 64
"""Telegram's limit on a button's callback data, in bytes."""

UNSUBSCRIBE_DATA = "unsub:"
"""Callback data prefix of an "Unsubscribe" button: ``unsub:<feed id>``."""
COMMAND_DATA = "cmd:"
"""Callback data prefix of a button that runs a command: ``cmd:/latest``."""
SUBSCRIBE_URL_DATA = "suburl"
"""Callback data of the "Subscribe" button offered for a URL (the URL is in the message)."""


@dataclass(frozen=True)
class Button:
    """One inline button: opens ``url``, or sends ``data`` back as a callback query."""

    label: str
    url: str = ""
    data: str = ""


@dataclass(frozen=True)
class Rendered:
    """One Telegram message: its HTML, the same text without markup, and its buttons."""

    html: str
    plain: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    preview_url: str = ""
    """The link a link preview should show (the article), if any."""

    @property
    def length(self) -> int:
        """The length Telegram checks against ``TEXT_LIMIT``."""
        return utf16_len(self.plain)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters outside the BMP count twice)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _utf16_cut(text: str, budget: int) -> int:
    """The largest ``i`` with ``utf16_len(text[:i]) <= budget``."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > budget:
            return i
    return len(text)


def clip_words(text: str, budget: int) -> str:
    """``text`` if it fits in ``budget`` UTF-16 units, else cut at a word and end with "…"."""
    if utf16_len(text) <= budget:
        return text
    if budget < 1:
        return ""
    cut = _utf16_cut(text, budget - 1)
    head = text[:cut]
    space = head.rfind(" ")
    if space > cut // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + "…"


def trim_sentences(text: str, budget: int) -> str:
    """``text`` cut after the last whole sentence that fits in ``budget`` UTF-16 units.

    When not even the first sentence fits, it is cut at a word and ends with "…".
    """
    if utf16_len(text) <= budget:
        return text
    if budget < 1:
        return ""
    cut = _utf16_cut(text, budget)
    fitting = [end for end in sentence_ends(text) if end <= cut]
    if fitting:
        return text[: fitting[-1]]
    return clip_words(text, budget)


# -- building blocks ---------------------------------------------------------------------------
def text(value: str) -> Rendered:
    """Plain text, escaped."""
    return Rendered(html.escape(value, quote=False), value)


def tag(name: str, inner: Rendered) -> Rendered:
    """``inner`` inside ``<name>`` (b, i, code ...)."""
    return Rendered(f"<{name}>{inner.html}</{name}>", inner.plain)


def link(inner: Rendered, url: str) -> Rendered:
    """``inner`` linking to ``url``; unchanged when ``url`` is not http(s)."""
    if not _is_http(url):
        return inner
    return Rendered(f'<a href="{html.escape(url, quote=True)}">{inner.html}</a>', inner.plain)


def join(parts: Sequence[Rendered], sep: str) -> Rendered:
    """The parts one after the other, ``sep`` (plain text) between them."""
    glue = html.escape(sep, quote=False)
    return Rendered(glue.join(p.html for p in parts), sep.join(p.plain for p in parts))


def pack(parts: Sequence[Rendered], sep: str, limit: int = TEXT_LIMIT) -> list[Rendered]:
    """Join consecutive parts into as few messages as fit in ``limit`` (never splits a part)."""
    out: list[Rendered] = []
    group: list[Rendered] = []
    size = 0
    gap = utf16_len(sep)
    for part in parts:
        if group and size + gap + part.length > limit:
            out.append(join(group, sep))
            group, size = [], 0
        size += (gap if group else 0) + part.length
        group.append(part)
    if group:
        out.append(join(group, sep))
    return out


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _one_line(value: str) -> str:
    return " ".join(value.split())


# -- briefs ------------------------------------------------------------------------------------
def brief(
    item: Brief,
    now: datetime,
    *,
    alert_terms: Sequence[str] = (),
    buttons: bool = False,
    related: bool = False,
    limit: int = TEXT_LIMIT,
) -> Rendered:
    """One brief as one message of at most ``limit`` (the summary gives way)."""
    label = briefs.related_label() if related else briefs.alert_prefix(alert_terms)
    prefix = clip_words(label, HEADLINE_LIMIT)
    title = clip_words(_one_line(item.title) or _("Untitled story"), HEADLINE_LIMIT)
    head = join([text(prefix), tag("b", link(text(title), item.link))], "")
    foot = tag("i", text(clip_words(_one_line(briefs.footer(item, now)), HEADLINE_LIMIT)))
    summary = trim_sentences(item.summary.strip(), limit - head.length - foot.length - 2)
    body = join([head, *([text(summary)] if summary else []), foot], "\n")
    rows = (brief_buttons(item, is_alert=bool(alert_terms)),) if buttons else ()
    return replace(body, buttons=tuple(r for r in rows if r), preview_url=item.link)


def brief_buttons(item: Brief, *, is_alert: bool) -> tuple[Button, ...]:
    """The optional row under a pushed brief: "Read" and (not for alerts) "Unsubscribe"."""
    row: list[Button] = []
    if _is_http(item.link):
        row.append(Button(_("Read"), url=item.link))
    data = UNSUBSCRIBE_DATA + item.feed_id
    if not is_alert and len(data.encode()) <= CALLBACK_DATA_LIMIT:
        row.append(Button(_("Unsubscribe"), data=data))
    return tuple(row)


def digest(heading: str, items: Sequence[Brief], *, limit: int = TEXT_LIMIT) -> list[Rendered]:
    """A title line, then one line per story (most-covered first), split at story lines."""
    ordered = sorted(items, key=lambda b: -len(b.also_sources))
    title = tag("b", text(clip_words(_one_line(heading), HEADLINE_LIMIT)))
    return pack([title, *(digest_line(b) for b in ordered)], "\n", limit)


def digest_line(item: Brief) -> Rendered:
    """``• <headline, linked> — <first sentence of the summary>``."""
    title = clip_words(_one_line(item.title) or _("Untitled story"), HEADLINE_LIMIT)
    sentence = clip_words(_one_line(briefs.first_sentence(item.summary)), HEADLINE_LIMIT)
    parts = [text("• "), link(text(title), item.link)]
    if sentence:
        parts.append(text(" — " + sentence))
    return join(parts, "")


# -- replies and notices -----------------------------------------------------------------------
def plain_text(value: str, *, limit: int = TEXT_LIMIT) -> list[Rendered]:
    """Plain text (escaped), split at line breaks, or at words for a line over ``limit``."""
    pieces: list[Rendered] = []
    for line in value.strip("\n").split("\n"):
        while utf16_len(line) > limit:
            cut = _utf16_cut(line, limit)
            space = line.rfind(" ", 0, cut)
            cut = space if space > cut // 2 else cut
            pieces.append(text(line[:cut]))
            line = line[cut:].lstrip(" ")
        pieces.append(text(line))
    return pack(pieces, "\n", limit)


def reply(answer: Reply, now: datetime, *, limit: int = TEXT_LIMIT) -> list[Rendered]:
    """A command's reply: its text, then its briefs, in as few messages as fit.

    ``Reply.choices`` become buttons under the last message (each runs that command).
    """
    parts = plain_text(answer.text, limit=limit) if answer.text.strip() else []
    parts += [brief(b, now, limit=limit) for b in answer.briefs]
    parts += [brief(b, now, related=True, limit=limit) for b in answer.related]
    messages = pack(parts, "\n\n", limit)
    row = tuple(
        Button(choice, data=COMMAND_DATA + choice)
        for choice in answer.choices
        if len((COMMAND_DATA + choice).encode()) <= CALLBACK_DATA_LIMIT
    )
    if messages and row:
        messages[-1] = replace(messages[-1], buttons=(row,))
    return messages


def subscribe_offer(url: str) -> Rendered:
    """The answer to a bare URL in a private chat: a question and a "Subscribe" button.

    The URL stays in the message text so that the button's callback can read it back (callback
    data holds only 64 bytes).
    """
    body = text(_("Subscribe this chat to {url}?", url=url))
    return replace(body, buttons=((Button(_("Subscribe"), data=SUBSCRIBE_URL_DATA),),))


def offered_url(message_text: str) -> str | None:
    """The URL of a :func:`subscribe_offer` message (in any language), as Telegram sends it
    back: the address before the closing question mark, or, where the language puts the URL
    inside the question (German: "Diesen Chat für <URL> abonnieren?"), the address as a word."""
    text = message_text.strip()
    at_end = re.search(r"(https?://\S+?)\s?\?\s*$", text)
    if at_end:
        return at_end.group(1)
    inside = re.search(r"https?://\S+", text)
    return inside.group() if inside else None
