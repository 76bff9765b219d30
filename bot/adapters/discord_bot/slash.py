"""The ``/news`` slash-command group, generated from the core's command table, and the command
tree with its last-resort error handler.

Each entry of ``bot.core.command_table.COMMANDS`` becomes a subcommand at its ``slash`` path
(``/news list`` for ``/subscriptions``, ``/news alert add|remove|list`` for the alert
commands), with one option per parameter: its name, description, whether it is required, its
type from the parameter's kind (a number with its range, a ``channel`` limited to channels that
can receive briefs, a ``file`` as an attachment) and autocomplete for feeds, topics and time
zones. The typed option values go straight to the core (``command_parse.bind``), and the reply
comes back through ``respond.Responder``.

Descriptions are localised from the bot's catalogues (``CatalogueTranslator``, set on the tree
before it is synced), and a command is answered in the channel's language (``Commands.speaks``:
the one set with ``/news language``, else the caller's Discord locale, else the server's).

``channel`` lets an admin act on another channel, which is the only way to subscribe a forum
channel (Discord offers no slash commands inside a forum, only inside its posts).

Permissions: Discord stores ``default_member_permissions`` only on top-level commands, not on
subcommands (discord.py ignores ``default_permissions`` there). Setting Manage Channels on
``/news`` would hide ``latest``, ``feeds`` and ``help`` from members, so ``/news`` is visible to
everyone and the core's rule (``Call.needs_admin``) is enforced at run time with Manage
Channels (``respond.may_change``). Server admins can still narrow ``/news`` in Server Settings >
Integrations.
"""

from __future__ import annotations

import inspect
import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Optional

import discord
from discord import app_commands

from bot.adapters.discord_bot.files import DiscordUpload
from bot.adapters.discord_bot.render import discord_commands
from bot.adapters.discord_bot.respond import (
    Interaction,
    Responder,
    Target,
    answer_privately,
    chat_of,
    progress_line,
)
from bot.core.command_parse import bind
from bot.core.command_table import COMMANDS, SLASH_GROUPS, Command, Kind, Param
from bot.core.commands import Commands
from bot.core.i18n import DEFAULT, N_, _, language_of, using
from bot.core.models import ChatRef, Feed, Reply

logger = logging.getLogger(__name__)

MAX_CHOICES = 25
CHOICE_NAME_MAX = 100
DESCRIPTION_MAX = 100
SORRY = N_("Sorry, something went wrong on my side; it has been logged. Please try again later.")
NEWS = N_("News briefs in this channel")

Complete = Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


class DeliveryChannel(app_commands.Transformer[discord.Client]):
    """A ``channel`` option limited to channels that can receive briefs (no cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [
            discord.ChannelType.text,
            discord.ChannelType.news,
            discord.ChannelType.forum,
            discord.ChannelType.public_thread,
            discord.ChannelType.private_thread,
            discord.ChannelType.news_thread,
        ]

    async def transform(self, interaction: Interaction, value: Target, /) -> Target:
        return value


ChannelOption = app_commands.Transform[Target, DeliveryChannel]


def _choices(pairs: list[tuple[str, str]], current: str) -> list[app_commands.Choice[str]]:
    """Up to 25 (name, value) pairs whose name contains ``current``, prefix matches first."""
    needle = current.strip().lower()
    hits = [(n, v) for n, v in pairs if needle in n.lower()]
    hits.sort(key=lambda p: (not p[1].lower().startswith(needle), p[1]))
    return [app_commands.Choice(name=n[:CHOICE_NAME_MAX], value=v) for n, v in hits[:MAX_CHOICES]]


def describe(text: str, *, capital: bool = False) -> str:
    """A table description as Discord shows it: ``/news`` names, at most 100 characters, and
    with ``capital`` its first letter capitalised (commands; parameters keep theirs: "off")."""
    text = discord_commands(text)
    return (text[:1].upper() + text[1:] if capital else text)[:DESCRIPTION_MAX]


def described(text: str, *, capital: bool = False) -> app_commands.locale_str:
    """``describe(text)``, carrying its English source for :class:`CatalogueTranslator`."""
    return app_commands.locale_str(describe(text, capital=capital), source=text, capital=capital)


class CatalogueTranslator(app_commands.Translator):
    """Discord's localised command and option descriptions, from the bot's catalogues (the
    languages of ``bot.core.i18n``; English stays the default)."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = language_of(locale.value)
        source = string.extras.get("source")
        if language is None or language == DEFAULT or not isinstance(source, str):
            return None
        with using(language):
            text = describe(_(source), capital=bool(string.extras.get("capital")))
        return text if text != string.message else None


def locale_of(interaction: Interaction) -> str | None:
    """The caller's Discord language (``uk``, ``es-ES``) when it is one of ours, else the
    server's (``guild_locale``)."""
    mine = getattr(getattr(interaction, "locale", None), "value", None)
    server = getattr(getattr(interaction, "guild_locale", None), "value", None)
    return mine if language_of(mine) or not server else server


def option_type(param: Param) -> Any:
    """The annotation discord.py turns into the option of ``param``."""
    kind: Any = str
    if param.kind == Kind.CHANNEL:
        kind = ChannelOption
    elif param.kind == Kind.FILE:
        kind = discord.Attachment
    elif param.kind == Kind.NUMBER:
        bounded = param.low is not None or param.high is not None
        kind = app_commands.Range[int, param.low, param.high] if bounded else int
    return Optional[kind] if param.optional else kind  # noqa: UP045 (a runtime annotation)


class NewsGroup(app_commands.Group):
    """``/news``: every command of the table, at its ``slash`` path."""

    def __init__(self, commands: Commands) -> None:
        super().__init__(name="news", description=described(NEWS))
        self._commands = commands
        self._responder = Responder(commands)
        self._zones: tuple[str, ...] = ()
        groups: dict[str, app_commands.Group] = {}
        for command in COMMANDS:
            *parents, leaf = command.path
            parent: app_commands.Group = self
            for name in parents:
                if name not in groups:
                    groups[name] = app_commands.Group(
                        name=name, description=described(SLASH_GROUPS[name], capital=True)
                    )
                    self.add_command(groups[name])
                parent = groups[name]
            parent.add_command(self._subcommand(command, leaf))

    def _subcommand(self, command: Command, leaf: str) -> app_commands.Command[Any, ..., None]:
        """The Discord command for ``command``: a callback whose signature is its options."""

        async def callback(interaction: Interaction, **options: Any) -> None:
            await self._run(interaction, command, options)

        keyword = inspect.Parameter.KEYWORD_ONLY
        first = inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_ONLY)
        callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                first,
                *(
                    inspect.Parameter(
                        p.name,
                        keyword,
                        default=None if p.optional else inspect.Parameter.empty,
                        annotation=option_type(p),
                    )
                    for p in command.params
                ),
            ]
        )
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            p.name: described(p.description) for p in command.params
        }
        made: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=leaf,
            description=described(command.description, capital=True),
            callback=callback,
        )
        for param in command.params:
            complete = self._completion(param)
            if complete is not None:
                made.autocomplete(param.name)(complete)
        return made

    async def _run(self, interaction: Interaction, command: Command, options: Any) -> None:
        """Check the typed options in the core, then let the responder run the call, in the
        chat's language (by default the caller's Discord language, see ``Commands.speaks``)."""
        target: Target | None = None
        for param in command.params:
            if param.kind == Kind.CHANNEL:
                target = options.pop(param.name, None)
            elif param.kind == Kind.FILE and options.get(param.name) is not None:
                options[param.name] = DiscordUpload(options[param.name])
        chat = chat_of(interaction, target)
        locale = locale_of(interaction)
        language = await self._commands.speaks(chat, locale) if chat else language_of(locale)
        with using(language):
            await self._run_in_language(interaction, command, options, target)

    async def _run_in_language(
        self, interaction: Interaction, command: Command, options: Any, target: Target | None
    ) -> None:
        call = bind(command.name, options)
        if isinstance(call, Reply):
            await answer_privately(interaction, call.text)
            return
        progress = progress_line(interaction) if command.progress else None

        async def work(chat: ChatRef) -> Reply:
            return (await self._commands.run(chat, call, progress=progress)).reply

        await self._responder.run(
            interaction, work, target=target, changes=call.needs_admin, private=command.private
        )

    # -- autocomplete -----------------------------------------------------------------
    def _completion(self, param: Param) -> Complete | None:
        """The autocomplete of a parameter's kind (its ``choices`` after), if it has one."""
        offer: Callable[[Interaction], Awaitable[list[tuple[str, str]]]]
        if param.kind == Kind.FEED:
            offer = self._targets
        elif param.kind == Kind.TOPIC:
            offer = self._topics
        elif param.kind == Kind.TIMEZONE:
            offer = self._timezones
        else:
            return None
        words = [app_commands.Choice(name=w, value=w) for w in param.choices]

        async def complete(
            interaction: Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [*_choices(await offer(interaction), current), *words][:MAX_CHOICES]

        return complete

    async def _visible(self, interaction: Interaction) -> list[Feed]:
        """The feeds this channel may see: chat-added feeds belong to their channels."""
        chat = chat_of(interaction)
        return [] if chat is None else await self._commands.catalogue(chat)

    async def _targets(self, interaction: Interaction) -> list[tuple[str, str]]:
        feeds = await self._visible(interaction)
        topics = sorted({t for f in feeds for t in f.topics})
        return [(f"{f.id} · {f.title}", f.id) for f in feeds] + [
            (_("topic: {topic}", topic=t), t) for t in topics
        ]

    async def _topics(self, interaction: Interaction) -> list[tuple[str, str]]:
        feeds = await self._visible(interaction)
        return [(t, t) for t in sorted({t for f in feeds for t in f.topics})]

    async def _timezones(self, interaction: Interaction) -> list[tuple[str, str]]:
        if not self._zones:  # read once, on first use: the list does not change while running
            self._zones = tuple(sorted(zoneinfo.available_timezones()))
        return [(z, z) for z in self._zones]


class NewsTree(app_commands.CommandTree[discord.Client]):
    """The command tree, with newsbrief's one last-resort error handler."""

    async def on_error(
        self, interaction: Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Log with the traceback and answer the caller politely, only to them."""
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.TransformerError):
            logger.info("bad option value in /%s: %s", command, error)
            text = _(
                "I cannot use {value} there. Check the option and try again.",
                value=repr(error.value),
            )
        else:
            logger.error("/%s failed", command, exc_info=error)
            text = _(SORRY)
        try:
            await answer_privately(interaction, text)
        except discord.HTTPException:
            logger.warning("could not tell the caller about the failure", exc_info=True)
