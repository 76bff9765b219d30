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
from collections.abc import Awaitable, Callable

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_bot.notifier import DiscordNotifier, new_pacer
from bot.adapters.discord_bot.settings import DiscordSettings
from bot.adapters.discord_bot.slash import NewsGroup, NewsTree
from bot.adapters.discord_bot.watch import Watch
from bot.core.commands import Commands
from bot.core.errors import ConfigError, StartupError
from bot.core.pacing import Pacer
from bot.retry import error_reason, retrying

logger = logging.getLogger(__name__)

MAX_RATELIMIT_SECONDS = 10.0
"""discord.py waits out a 429 (or an exhausted bucket) up to this long inside one request;
beyond it raises ``RateLimited`` and the outbox retries the row later, so a send never sleeps
for minutes while holding the delivery loop."""


TRANSIENT = (OSError, aiohttp.ClientError, discord.DiscordServerError)
"""Failures to log in that may pass: retried at start-up (``asyncio.TimeoutError`` is an
``OSError``)."""


class _NotReady(Exception):
    """The client logged in but the gateway was not ready in time."""


class _Client(discord.Client):
    """A discord.py client that signals readiness through an event newsbrief owns."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.ready = asyncio.Event()
        self.pacer: Pacer | None = None
        """The platform's pacer, for command replies (``respond``)."""

    async def on_ready(self) -> None:
        logger.info("Discord gateway ready as %s in %d servers", self.user, len(self.guilds))
        self.ready.set()


class DiscordAdapter:
    """The Discord side of newsbrief: ``/news`` commands in, briefs out."""

    def __init__(
        self,
        settings: DiscordSettings,
        commands: Commands,
        *,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        claim: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        """Args:
        settings: needs ``discord_token``; uses the Discord URLs and ``discord_guild_id``.
        commands: the core commands every platform shares.
        guild_ready_timeout: seconds discord.py waits for more servers before ready.
        ready_timeout: seconds ``start()`` waits for the gateway before giving up.
        claim: awaited with the bot's user id once the gateway is ready, before the commands
            are registered; raises to refuse the bot (``bot.app``).

        Raises:
            ConfigError: ``NEWSBRIEF_DISCORD_TOKEN`` is not set.
        """
        if settings.discord_token is None:
            raise ConfigError(["NEWSBRIEF_DISCORD_TOKEN: not set; create a bot token first"])
        self._settings = settings
        self._token = settings.discord_token.get_secret_value()
        self._commands = commands
        self._guild_ready_timeout = guild_ready_timeout
        self._ready_timeout = ready_timeout
        self._claim = claim
        # Voice is never used: discord.py's warnings about its missing libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        self._new_client()
        self.task: asyncio.Task[None] | None = None
        """The running client (for supervision); ``None`` before ``start()``."""
        self._saved: tuple[str, yarl.URL] | None = None
        self._stopping = False
        self._starting = False

    def _new_client(self) -> None:
        """A fresh discord.py client with its command tree and notifier (a client that
        failed to log in cannot be started again)."""
        intents = discord.Intents.none()
        intents.guilds = True
        watch = Watch(new_pacer())
        self.client = _Client(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_SECONDS,
            guild_ready_timeout=self._guild_ready_timeout,
            http_trace=watch.config,
        )
        self.client.pacer = watch.pacer
        self.tree = NewsTree(self.client)
        self.tree.add_command(NewsGroup(self._commands))
        self.notifier = DiscordNotifier(self.client, self._commands.leave_notice, watch)

    async def start(self) -> None:
        """Connect, wait until ready, register the commands; return when serving. A Discord
        API that cannot be reached is retried for ``NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS``.

        Raises:
            ConfigError: Discord rejected the token or the development server (exit 2).
            StartupError: Discord stayed unreachable, or the client failed to start (exit 1).
        """
        s = self._settings
        timeout = s.platform_startup_timeout_seconds
        self._redirect()
        self._starting = True
        try:
            await retrying(
                self._connect,
                transient=TRANSIENT,
                timeout_seconds=timeout,
                what=f"the Discord API at {s.discord_api_url}",
            )
        except discord.LoginFailure:
            raise ConfigError(
                [
                    f"NEWSBRIEF_DISCORD_TOKEN: the Discord API at {s.discord_api_url} rejected "
                    "the token (GET /users/@me answered 401 Unauthorized): set the bot token of "
                    "the Developer Portal (Applications > your app > Bot > Reset Token), or "
                    "check NEWSBRIEF_DISCORD_API_URL"
                ]
            ) from None
        except discord.PrivilegedIntentsRequired as exc:
            raise ConfigError([f"Discord: {exc}"]) from None
        except TRANSIENT as exc:
            raise StartupError(
                f"cannot reach the Discord API at NEWSBRIEF_DISCORD_API_URL={s.discord_api_url} "
                f"after {timeout:g} s ({error_reason(exc)}): check the network connection and "
                "NEWSBRIEF_DISCORD_API_URL, or raise NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS"
            ) from None
        except _NotReady:
            raise StartupError(
                "the Discord gateway at NEWSBRIEF_DISCORD_GATEWAY_URL="
                f"{s.discord_gateway_url} was not ready after {self._ready_timeout:g} s: check "
                "the network connection (websockets must get through) and "
                "NEWSBRIEF_DISCORD_GATEWAY_URL"
            ) from None
        except Exception as exc:
            raise StartupError(f"the Discord client failed to start ({error_reason(exc)})") from exc
        finally:
            self._starting = False
            if self.task is None or self.task.done():
                self._restore()
        if self._claim is not None and self.client.user is not None:
            try:
                await self._claim(str(self.client.user.id))
            except BaseException:
                await self.stop()
                raise
        await self._sync()

    async def _connect(self) -> None:
        """One try: start the client and wait until the gateway is ready; on failure the
        client is closed again and the next try gets a fresh one."""
        if self.task is not None:
            self._new_client()
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
        if self.client.ready.is_set() and not self.task.done():
            return
        failed = self.task
        await self._close()
        if failed.done() and not failed.cancelled() and failed.exception() is not None:
            raise failed.exception()  # type: ignore[misc]
        raise _NotReady

    async def stop(self) -> None:
        """Close the client and wait for its task; restore discord.py's URLs."""
        try:
            await self._close()
        finally:
            self._restore()

    async def _close(self) -> None:
        self._stopping = True
        self.notifier.close()
        await self.client.close()
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 10)

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
        if task.cancelled() or self._starting:
            return  # start() reports a failure to start
        exc = task.exception()
        if exc is not None:
            logger.error("the Discord client stopped with an error", exc_info=exc)
        elif not self._stopping:
            logger.error("the Discord client stopped unexpectedly")

    async def _sync(self) -> None:
        """Register ``/news`` globally, or in the development server only."""
        guild_id = self._settings.discord_guild_id
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        try:
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
