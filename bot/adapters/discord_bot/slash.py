"""The ``/news`` slash-command group and the command tree with its last-resort error handler.

``/news`` maps each subcommand onto the same core ``Commands`` as every platform:

================================  ===============================  ======================
Discord                           core                             who
================================  ===============================  ======================
/news subscribe target [channel]  ``subscribe(chat, target)``      Manage Channels
/news unsubscribe target [ch.]    ``unsubscribe(chat, target)``    Manage Channels
/news list [channel]              ``subscriptions(chat)``          everyone
/news latest [target] [count]     ``latest(chat, "target n")``     everyone
/news feeds [topic]               ``feeds(chat, topic)``           everyone (ephemeral)
/news alert add query [ch.]       ``alert(chat, query)``           Manage Channels
/news alert remove id [ch.]       ``unalert(chat, id)``            Manage Channels
/news alert list [channel]        ``alerts(chat)``                 everyone
/news digest [times] [tz] [ch.]   ``digest(chat, "times tz")``     Manage Channels to change
/news quiet [hours] [tz] [ch.]    ``quiet(chat, "hours tz")``      Manage Channels to change
/news status [channel]            ``status(chat)``                 everyone
/news help                        ``help(chat)``                   everyone (ephemeral)
================================  ===============================  ======================

``channel`` lets an admin act on another channel, which is the only way to subscribe a forum
channel (Discord offers no slash commands inside a forum, only inside its posts).

Permissions: Discord stores ``default_member_permissions`` only on top-level commands, not on
subcommands (discord.py ignores ``default_permissions`` there). Setting Manage Channels on
``/news`` would hide ``latest``, ``feeds`` and ``help`` from members, so ``/news`` is visible to
everyone and the Manage Channels rule is enforced at run time (``respond.may_change``). Server
admins can still narrow ``/news`` in Server Settings > Integrations.
"""

from __future__ import annotations

import logging
import zoneinfo

import discord
from discord import app_commands

from bot.adapters.discord_bot.respond import (
    Interaction,
    Responder,
    Target,
    answer_privately,
    chat_of,
)
from bot.core.commands import LATEST_MAX, Commands
from bot.core.models import ChatRef, Feed, Reply

logger = logging.getLogger(__name__)

MAX_CHOICES = 25
CHOICE_NAME_MAX = 100
SORRY = "Sorry, something went wrong on my side; it has been logged. Please try again later."


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


class NewsGroup(app_commands.Group, name="news", description="News briefs in this channel"):
    """``/news``: subscriptions, latest stories, keyword alerts, digests."""

    alert = app_commands.Group(name="alert", description="Keyword alerts for this channel")

    def __init__(self, commands: Commands) -> None:
        super().__init__()
        self._commands = commands
        self._responder = Responder(commands)
        self._zones: tuple[str, ...] = ()

    # -- autocomplete -----------------------------------------------------------------
    async def _visible(self, interaction: Interaction) -> list[Feed]:
        """The feeds this channel may see: chat-added feeds belong to their channels."""
        chat = chat_of(interaction)
        return [] if chat is None else await self._commands.catalogue(chat)

    async def _targets(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = await self._visible(interaction)
        pairs = [(f"{f.id} · {f.title}", f.id) for f in feeds]
        topics = sorted({t for f in feeds for t in f.topics})
        pairs += [(f"topic: {t}", t) for t in topics]
        return _choices(pairs, current)

    async def _topics(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        feeds = await self._visible(interaction)
        return _choices([(t, t) for t in sorted({t for f in feeds for t in f.topics})], current)

    # -- subscriptions ------------------------------------------------------------------
    @app_commands.command(description="Get new stories of a feed or topic in this channel")
    @app_commands.describe(
        target="Feed id, topic or feed URL", channel="Another channel, thread or forum"
    )
    async def subscribe(
        self, interaction: Interaction, target: str, channel: ChannelOption | None = None
    ) -> None:
        async def work(chat: ChatRef) -> Reply:
            return await self._commands.subscribe(chat, target)

        await self._responder.run(interaction, work, target=channel, changes=True)

    @subscribe.autocomplete("target")
    async def _subscribe_target(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._targets(interaction, current)

    @app_commands.command(description="Stop a subscription of this channel")
    @app_commands.describe(
        target="Feed id, topic, URL, or all", channel="Another channel, thread or forum"
    )
    async def unsubscribe(
        self, interaction: Interaction, target: str, channel: ChannelOption | None = None
    ) -> None:
        async def work(chat: ChatRef) -> Reply:
            return await self._commands.unsubscribe(chat, target)

        await self._responder.run(interaction, work, target=channel, changes=True)

    @unsubscribe.autocomplete("target")
    async def _unsubscribe_target(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            *await self._targets(interaction, current),
            app_commands.Choice(name="all", value="all"),
        ][:MAX_CHOICES]

    @app_commands.command(name="list", description="The feeds this channel follows")
    @app_commands.describe(channel="Another channel, thread or forum")
    async def list_(self, interaction: Interaction, channel: ChannelOption | None = None) -> None:
        await self._responder.run(interaction, self._commands.subscriptions, target=channel)

    # -- reading ------------------------------------------------------------------------
    @app_commands.command(description="The newest briefs")
    @app_commands.describe(target="Feed id or topic (default: this channel's feeds)")
    @app_commands.describe(count="How many (1-20)")
    async def latest(
        self,
        interaction: Interaction,
        target: str | None = None,
        count: app_commands.Range[int, 1, LATEST_MAX] | None = None,
    ) -> None:
        args = f"{target or ''} {count or ''}".strip()

        async def work(chat: ChatRef) -> Reply:
            return await self._commands.latest(chat, args)

        await self._responder.run(interaction, work)

    @latest.autocomplete("target")
    async def _latest_target(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._targets(interaction, current)

    @app_commands.command(description="The feeds you can subscribe to")
    @app_commands.describe(topic="Only this topic")
    async def feeds(self, interaction: Interaction, topic: str | None = None) -> None:
        async def work(chat: ChatRef) -> Reply:
            return await self._commands.feeds(chat, topic or "")

        await self._responder.run(interaction, work, private=True)

    @feeds.autocomplete("topic")
    async def _feeds_topic(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._topics(interaction, current)

    @app_commands.command(description="Health of this channel's feeds")
    @app_commands.describe(channel="Another channel, thread or forum")
    async def status(self, interaction: Interaction, channel: ChannelOption | None = None) -> None:
        await self._responder.run(interaction, self._commands.status, target=channel)

    @app_commands.command(description="What this bot does and how to use it")
    async def help(self, interaction: Interaction) -> None:
        await self._responder.run(interaction, self._commands.help, private=True)

    # -- digests ------------------------------------------------------------------------
    @app_commands.command(description="Get digests at set times instead of every story")
    @app_commands.describe(
        times="off, or local times like 08:00 or 08:00,18:00",
        timezone="IANA time zone, e.g. Europe/Kyiv",
        channel="Another channel, thread or forum",
    )
    async def digest(
        self,
        interaction: Interaction,
        times: str | None = None,
        timezone: str | None = None,
        channel: ChannelOption | None = None,
    ) -> None:
        if timezone and not times:
            await answer_privately(
                interaction,
                "Give the times too, e.g. /news digest times:08:00 timezone:Europe/Kyiv.",
            )
            return
        args = f"{times or ''} {timezone or ''}".strip()

        async def work(chat: ChatRef) -> Reply:
            return await self._commands.digest(chat, args)

        await self._responder.run(interaction, work, target=channel, changes=bool(times))

    @app_commands.command(description="Hold messages during quiet hours")
    @app_commands.describe(
        hours="off, or local hours like 22:00-07:00",
        timezone="IANA time zone, e.g. Europe/Kyiv",
        channel="Another channel, thread or forum",
    )
    async def quiet(
        self,
        interaction: Interaction,
        hours: str | None = None,
        timezone: str | None = None,
        channel: ChannelOption | None = None,
    ) -> None:
        if timezone and not hours:
            await answer_privately(
                interaction,
                "Give the hours too, e.g. /news quiet hours:22:00-07:00 timezone:Europe/Kyiv.",
            )
            return
        args = f"{hours or ''} {timezone or ''}".strip()

        async def work(chat: ChatRef) -> Reply:
            return await self._commands.quiet(chat, args)

        await self._responder.run(interaction, work, target=channel, changes=bool(hours))

    @quiet.autocomplete("timezone")
    @digest.autocomplete("timezone")
    async def _digest_timezone(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not self._zones:  # read once, on first use: the list does not change while running
            self._zones = tuple(sorted(zoneinfo.available_timezones()))
        return _choices([(z, z) for z in self._zones], current)

    # -- alerts -------------------------------------------------------------------------
    @alert.command(name="add", description="Alert on keywords, e.g. kursk OR sudzha")
    @app_commands.describe(
        query='Words, "a phrase", OR between alternatives, -word to exclude',
        channel="Another channel, thread or forum",
    )
    async def alert_add(
        self, interaction: Interaction, query: str, channel: ChannelOption | None = None
    ) -> None:
        async def work(chat: ChatRef) -> Reply:
            return await self._commands.alert(chat, query)

        await self._responder.run(interaction, work, target=channel, changes=True)

    @alert.command(name="remove", description="Remove a keyword alert")
    @app_commands.describe(alert_id="The alert's number (/news alert list)")
    @app_commands.describe(channel="Another channel, thread or forum")
    @app_commands.rename(alert_id="id")
    async def alert_remove(
        self,
        interaction: Interaction,
        alert_id: app_commands.Range[int, 1],
        channel: ChannelOption | None = None,
    ) -> None:
        async def work(chat: ChatRef) -> Reply:
            return await self._commands.unalert(chat, str(alert_id))

        await self._responder.run(interaction, work, target=channel, changes=True)

    @alert.command(name="list", description="This channel's keyword alerts")
    @app_commands.describe(channel="Another channel, thread or forum")
    async def alert_list(
        self, interaction: Interaction, channel: ChannelOption | None = None
    ) -> None:
        await self._responder.run(interaction, self._commands.alerts, target=channel)


class NewsTree(app_commands.CommandTree[discord.Client]):
    """The command tree, with newsbrief's one last-resort error handler."""

    async def on_error(
        self, interaction: Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Log with the traceback and answer the caller politely, only to them."""
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(error, app_commands.TransformerError):
            logger.info("bad option value in /%s: %s", command, error)
            text = f"I cannot use {error.value!r} there. Check the option and try again."
        else:
            logger.error("/%s failed", command, exc_info=error)
            text = SORRY
        try:
            await answer_privately(interaction, text)
        except discord.HTTPException:
            logger.warning("could not tell the caller about the failure", exc_info=True)
