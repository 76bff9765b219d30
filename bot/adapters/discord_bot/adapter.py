"""``DiscordAdapter``: runs the discord.py client inside newsbrief's own event loop.

Life cycle (the ``ChatAdapter`` contract of ``bot.core.ports``):

- ``start()`` points discord.py at the configured servers, starts ``client.start(token)`` as a
  task of the running loop (never ``client.run``, which would own the loop, logging and
  signals), waits until the gateway is ready, registers the ``/news`` commands (globally, or in
  the one development server of ``NEWSBRIEF_DISCORD_GUILD_ID``), and returns.
- The client task is watched: a crash before ready is raised from ``start()``; a crash later
  is logged with its traceback (discord.py itself would end silently).
- ``stop()`` closes the client, awaits the task, and restores the redirected URLs.

Redirection: discord.py reads its REST base from the class attribute ``discord.http.Route.BASE``
(also used for interaction responses and follow-ups) and its gateway from
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``. Both are process-global, so ``start()``
sets them from ``NEWSBRIEF_DISCORD_API_URL`` and ``NEWSBRIEF_DISCORD_GATEWAY_URL`` and ``stop()``
puts the previous values back. One Discord client per process.

Intents: ``guilds`` only (channel and thread cache for forum detection); no privileged intent,
no message events, since everything arrives as interactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_bot.notifier import DiscordNotifier
from bot.adapters.discord_bot.slash import CatalogueTranslator, NewsGroup, NewsTree
from bot.config import Settings
from bot.core.commands import Commands
from bot.core.errors import ConfigError, NewsbriefError

logger = logging.getLogger(__name__)

MAX_RATELIMIT_SECONDS = 10.0
"""discord.py waits out a 429 (or an exhausted bucket) up to this long inside one request;
beyond it raises ``RateLimited`` and the outbox retries the row later, so a send never sleeps
for minutes while holding the delivery loop."""


class _Client(discord.Client):
    """A discord.py client that signals readiness through an event newsbrief owns."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.ready = asyncio.Event()

    async def on_ready(self) -> None:
        logger.info("Discord gateway ready as %s in %d servers", self.user, len(self.guilds))
        self.ready.set()


class DiscordAdapter:
    """The Discord side of newsbrief: ``/news`` commands in, briefs out."""

    def __init__(
        self,
        settings: Settings,
        commands: Commands,
        *,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
    ) -> None:
        """Args:
        settings: needs ``discord_token``; uses the Discord URLs and ``discord_guild_id``.
        commands: the core commands every platform shares.
        guild_ready_timeout: seconds discord.py waits for more servers before ready.
        ready_timeout: seconds ``start()`` waits for the gateway before giving up.

        Raises:
            ConfigError: ``NEWSBRIEF_DISCORD_TOKEN`` is not set.
        """
        if settings.discord_token is None:
            raise ConfigError(["NEWSBRIEF_DISCORD_TOKEN: not set; create a bot token first"])
        self._settings = settings
        self._token = settings.discord_token.get_secret_value()
        self._ready_timeout = ready_timeout
        intents = discord.Intents.none()
        intents.guilds = True
        self.client = _Client(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_SECONDS,
            guild_ready_timeout=guild_ready_timeout,
        )
        self.tree = NewsTree(self.client)
        self.tree.add_command(NewsGroup(commands))
        self.notifier = DiscordNotifier(self.client, commands.leave_notice)
        self.task: asyncio.Task[None] | None = None
        """The running client (for supervision); ``None`` before ``start()``."""
        self._saved: tuple[str, yarl.URL] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Connect, wait until ready, register the commands; return when serving.

        Raises:
            ConfigError: Discord rejected the token or the development server.
            NewsbriefError: the client failed or was not ready in time.
        """
        self._redirect()
        self._stopping = False
        self.task = asyncio.create_task(self.client.start(self._token), name="discord-client")
        self.task.add_done_callback(self._watch)
        ready = asyncio.create_task(self.client.ready.wait())
        try:
            await asyncio.wait(
                {ready, self.task}, timeout=self._ready_timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            ready.cancel()
        if self.task.done():
            await self._failed_start()
        if not self.client.ready.is_set():
            await self.stop()
            raise NewsbriefError(f"Discord gateway not ready after {self._ready_timeout:g}s")
        await self._sync()

    async def stop(self) -> None:
        """Close the client and wait for its task; restore discord.py's URLs."""
        self._stopping = True
        try:
            await self.client.close()
            if self.task is not None:
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await asyncio.wait_for(self.task, 10)
        finally:
            self._restore()

    # -- helpers ------------------------------------------------------------------------
    def _redirect(self) -> None:
        if self._saved is None:
            self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = self._settings.discord_api_url
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self._settings.discord_gateway_url)
        logger.info(
            "Discord API %s, gateway %s",
            self._settings.discord_api_url,
            self._settings.discord_gateway_url,
        )

    def _restore(self) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    def _watch(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            logger.error("the Discord client stopped with an error", exc_info=exc)
        elif not self._stopping:
            logger.error("the Discord client stopped unexpectedly")

    async def _failed_start(self) -> None:
        assert self.task is not None
        exc = self.task.exception() if not self.task.cancelled() else None
        await self.stop()
        if isinstance(exc, discord.LoginFailure):
            raise ConfigError([f"NEWSBRIEF_DISCORD_TOKEN: Discord rejected it ({exc})"]) from exc
        if isinstance(exc, discord.PrivilegedIntentsRequired):
            raise ConfigError([f"Discord: {exc}"]) from exc
        raise NewsbriefError(f"the Discord client failed to start: {exc!r}") from exc

    async def _sync(self) -> None:
        """Register ``/news`` globally, or in the development server only."""
        guild_id = self._settings.discord_guild_id
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        try:
            await self.tree.set_translator(CatalogueTranslator())
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden as exc:
            await self.stop()
            raise ConfigError(
                [
                    f"NEWSBRIEF_DISCORD_GUILD_ID={guild_id}: cannot register commands there "
                    f"({exc.text}); invite the bot with the applications.commands scope"
                ]
            ) from exc
        except discord.HTTPException as exc:
            # Commands registered earlier keep working; deliveries do not depend on this.
            logger.error("registering the /news commands failed: %s", exc, exc_info=exc)
            return
        where = f"server {guild_id}" if guild_id else "all servers"
        logger.info("registered %d commands for %s", len(synced), where)
