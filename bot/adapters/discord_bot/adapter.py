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

Sharding (``elected=True``, as ``newsbrief run`` builds it): ``self.client`` only logs in (REST:
sends, command registration) and opens no gateway session. The gateway runs in one client per
shard id this worker holds (``discord_shard_<id>`` roles of ``bot.storage.leader``, shared out
among the workers, ``NEWSBRIEF_DISCORD_SHARDS`` of them): ``start_shard`` when the role is
gained, ``stop_shard`` when it is lost, each with its own command tree for the interactions of
its servers. Every worker sends; a channel not in this worker's cache (its server is on another
worker's shard) is fetched once by REST, so that a forum is still posted to as a forum.

Intents: ``guilds`` only (channel and thread cache for forum detection); no privileged intent,
no message events, since everything arrives as interactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_bot.notifier import DiscordNotifier, new_pacer
from bot.adapters.discord_bot.settings import DiscordSettings
from bot.adapters.discord_bot.slash import CatalogueTranslator, NewsGroup, NewsTree
from bot.adapters.discord_bot.watch import Watch
from bot.core.commands import Commands
from bot.core.errors import ConfigError, StartupError
from bot.core.pacing import Pacer
from bot.retry import error_reason, retrying

logger = logging.getLogger(__name__)

IDENTIFY_SPACING_SECONDS = 5.0
"""Discord accepts one gateway IDENTIFY per 5 s (``max_concurrency`` 1): a worker starting
several shard sessions spaces them so."""

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
        elected: bool = False,
        identify_spacing: float = IDENTIFY_SPACING_SECONDS,
    ) -> None:
        """Args:
        settings: needs ``discord_token``; uses the Discord URLs and ``discord_guild_id``.
        commands: the core commands every platform shares.
        guild_ready_timeout: seconds discord.py waits for more servers before ready.
        ready_timeout: seconds ``start()`` waits for the gateway before giving up.
        claim: awaited with the bot's user id once logged in, before the commands are
            registered; raises to refuse the bot (``bot.app``).
        elected: open gateway sessions only for the shards this worker is given
            (``start_shard``); ``start()`` then only logs in.
        identify_spacing: seconds between two shard sessions this worker starts.

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
        self._elected = elected
        # Voice is never used: discord.py's warnings about its missing libraries are noise.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        self.shards: dict[int, _Client] = {}
        """The gateway sessions this worker runs, by shard id (``elected`` only)."""
        self._shard_tasks: dict[int, asyncio.Task[None]] = {}
        self._fetched: dict[int, object] = {}
        self._identify_spacing = identify_spacing
        self._last_identify: float | None = None
        self._tries = 0
        self._new_client()
        self.task: asyncio.Task[None] | None = None
        """The running client (for supervision); ``None`` before ``start()``."""
        self._saved: tuple[str, yarl.URL] | None = None
        self._stopping = False
        self._starting = False

    def _new_client(self) -> None:
        """A fresh main client with its command tree and notifier (a client that failed to
        log in cannot be started again)."""
        watch = Watch(new_pacer())
        self.client = self._gateway_client(http_trace=watch.config)
        self.client.pacer = watch.pacer
        self.tree = NewsTree(self.client)
        self.tree.add_command(NewsGroup(self._commands))
        self.notifier = DiscordNotifier(
            self.client, self._commands.leave_notice, watch, lookup=self._channel
        )

    @property
    def ready(self) -> bool:
        """Connected (``/readyz``): the gateway ready, or (``elected``) logged in and every
        shard session of this worker ready."""
        if self.client.is_closed():
            return False
        if not self._elected:
            return self.client.is_ready()
        sessions = [(c, self._shard_tasks[n]) for n, c in self.shards.items()]
        return self.client.user is not None and all(
            c.is_ready() and not t.done() for c, t in sessions
        )

    def shard_roles(
        self,
    ) -> list[tuple[str, Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]]:
        """(role name, on gained, on lost) of every shard id, for ``Cluster.role``."""
        return [
            (
                f"discord_shard_{n}",
                functools.partial(self.start_shard, n),
                functools.partial(self.stop_shard, n),
            )
            for n in range(self._settings.discord_shards)
        ]

    async def start_shard(self, shard_id: int) -> None:
        """Open the gateway session of ``shard_id``; return once it is ready."""
        loop = asyncio.get_running_loop()
        if self._last_identify is not None:
            await asyncio.sleep(self._last_identify + self._identify_spacing - loop.time())
        self._last_identify = loop.time()
        client = self._gateway_client(shard_id=shard_id, shard_count=self._settings.discord_shards)
        client.pacer = self.client.pacer  # command replies keep the platform's pace and retries
        tree = NewsTree(client)
        tree.add_command(NewsGroup(self._commands))
        task = asyncio.create_task(client.start(self._token), name=f"discord-shard-{shard_id}")
        task.add_done_callback(self._watch)
        self.shards[shard_id], self._shard_tasks[shard_id] = client, task
        try:
            await self._until_ready(client, task)
        except BaseException:
            await self.stop_shard(shard_id)
            raise
        logger.info(
            "Discord: this worker runs shard %d of %d", shard_id, self._settings.discord_shards
        )

    async def stop_shard(self, shard_id: int) -> None:
        """Close the gateway session of ``shard_id`` (another worker may take it)."""
        client, task = self.shards.pop(shard_id, None), self._shard_tasks.pop(shard_id, None)
        if task is not None:
            task.remove_done_callback(self._watch)
        if client is not None:
            await client.close()
        if task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 10)

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
        connected = False
        try:
            await retrying(
                self._connect,
                transient=TRANSIENT,
                timeout_seconds=timeout,
                what=f"the Discord API at {s.discord_api_url}",
            )
            connected = True
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
            if not connected:
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
        self._tries += 1
        if self._tries > 1:
            self._new_client()
        self._stopping = False
        if self._elected:
            await self._login()
            return
        self.task = asyncio.create_task(self.client.start(self._token), name="discord-client")
        self.task.add_done_callback(self._watch)
        try:
            await self._until_ready(self.client, self.task)
        except BaseException:
            await self._close()
            raise

    async def stop(self) -> None:
        """Close the client and wait for its task; restore discord.py's URLs."""
        try:
            for shard_id in list(self.shards):
                await self.stop_shard(shard_id)
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
    def _gateway_client(self, **options: Any) -> _Client:
        intents = discord.Intents.none()
        intents.guilds = True
        return _Client(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_SECONDS,
            guild_ready_timeout=self._guild_ready_timeout,
            **options,
        )

    async def _login(self) -> None:
        """Log the REST client in (``elected``: no gateway session of its own)."""
        try:
            await self.client.login(self._token)
        except BaseException:
            await self._close()
            raise

    async def _channel(self, channel_id: int) -> object | None:
        """The channel from any cache of this worker; fetched once by REST when its server's
        shard runs on another worker (``None`` when unknown: the send then reports it)."""
        for client in (*self.shards.values(), self.client):
            channel = client.get_channel(channel_id)
            if channel is not None:
                return channel
        if not self._elected or len(self.shards) == self._settings.discord_shards:
            return None
        if channel_id not in self._fetched:
            try:
                self._fetched[channel_id] = await self.client.fetch_channel(channel_id)
            except (discord.DiscordException, OSError):
                return None
        return self._fetched[channel_id]

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

    async def _until_ready(self, client: _Client, task: asyncio.Task[None]) -> None:
        """Wait for ``client``'s gateway session; raise the client's own error if it ended
        (``start`` maps it to one message), or ``_NotReady`` (the caller cleans up)."""
        ready = asyncio.create_task(client.ready.wait())
        try:
            await asyncio.wait(
                {ready, task}, timeout=self._ready_timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            ready.cancel()
        if client.ready.is_set() and not task.done():
            return
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        raise _NotReady

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
