"""The composition root: builds every object, starts them in order, stops them in reverse.

Start order: storage (migrated) -> catalogue sync -> HTTP client -> summariser -> commands ->
chat adapters (Telegram, Discord, or the console when no token is set) -> cluster roles ->
delivery loop -> scheduler. Stop order is the reverse: scheduler, delivery, cluster roles,
adapters, HTTP client, storage.
Nothing here runs at import time; ``run(settings)`` is called by ``bot.__main__``.

Cluster roles (``bot.storage.leader``) start after the adapters: on PostgreSQL only the worker
holding ``telegram_receiver`` long-polls Telegram, only the ``housekeeper`` runs the hourly
housekeeping and the digest times, and the Discord shards are shared out among the workers;
every worker polls feeds and sends. On SQLite (one process) this worker holds every role.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.briefing import ModelSummarizer
from bot.config import Settings, empty_catalogue_hint, load_catalogue
from bot.core.commands import Commands, FetchLimits
from bot.core.delivery import Deliverer
from bot.core.errors import ConfigError
from bot.core.models import Platform
from bot.core.pipeline import Pipeline
from bot.core.ports import ChatAdapter, FeedSource, Notifier, Storage, Summarizer, SystemClock
from bot.dedup_embedding import build_deduper
from bot.feeds.settings import FetchSettings
from bot.feeds.source import open_feed_source
from bot.furniture import FurnitureLearner
from bot.metered import MeteredNotifier, MeteredSource, MeteredSummarizer
from bot.metrics import Metrics, MetricsServer
from bot.startup import open_database
from bot.storage.leader import Cluster
from bot.storage.single_process import ProcessLock, acquire_sqlite_lock
from summarizer.encoder import SentenceEncoder

logger = logging.getLogger(__name__)

HOUSEKEEPER = "housekeeper"
TELEGRAM_RECEIVER = "telegram_receiver"
DISCORD_SHARDS = "discord_shards"

STOP_GRACE_SECONDS = 30.0
"""How long a shutdown waits for the running poll to finish the feeds it is polling, and for
delivery to record the sends under way, before cancelling them."""

SCHEDULER_TICK_SECONDS = 30
"""How often the scheduler looks for due feeds (each feed has its own next poll time)."""

POLL_ROUNDS = 4
"""Polling rounds that may run at once (each feed is in at most one of them)."""


class App:
    """One running newsbrief process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()
        self.adapters: list[ChatAdapter] = []
        self._stack = contextlib.AsyncExitStack()
        """What ``start`` started, each pushed with its stop: ``stop`` unwinds it in reverse."""
        self._poll_tasks: set[asyncio.Task[object]] = set()
        self._running = False
        """Set once ``start`` completed: only then does ``stop`` say "newsbrief stopped"."""
        self.metrics: Metrics | None = Metrics() if settings.metrics_port is not None else None
        self.metrics_server: MetricsServer | None = None
        self._adapters_started = False
        self.cluster = Cluster(settings.database_url)
        self.cluster.role(HOUSEKEEPER)

    async def start(self) -> None:
        """Build and start everything; on failure, stop what was started and re-raise."""
        s = self.settings
        catalogue = load_catalogue(s.feeds_file)
        # SQLite is one process per file: a second `run` on it stops here (DatabaseInUse).
        db_lock: ProcessLock | None = acquire_sqlite_lock(s.database_url)
        if db_lock is not None:
            self._stack.callback(db_lock.release)
        self.storage: Storage = await open_database(
            s.database_url, s.database_startup_timeout_seconds
        )
        self._stack.push_async_callback(self.storage.close)
        await self.storage.sync_catalogue(catalogue)
        if self.metrics is not None and s.metrics_port is not None:
            self.metrics_server = MetricsServer(
                self.metrics,
                self.storage,
                listen=s.metrics_listen,
                port=s.metrics_port,
                unready=self._unready_adapters,
                roles=self._roles,
            )
            await self.metrics_server.start()
            self._stack.push_async_callback(self.metrics_server.stop)
        self.source = source = open_feed_source(s.part(FetchSettings), self.clock)
        self._stack.push_async_callback(source.aclose)
        encoder = SentenceEncoder()  # one MiniLM (loaded on first use) for all that embed
        # One MiniLM for dedup and for /latest <words> by meaning (None: dedup is off).
        self.embedder = build_deduper(s.dedup_threshold, encoder)
        self.commands = Commands(
            self.storage,
            source,
            self.clock,
            fetch_limits=FetchLimits(s.chat_fetch_timeout_seconds, s.chat_fetches_per_chat),
            max_feeds=s.max_feeds_per_chat,
            embedder=self.embedder,
        )
        self.adapters = self._build_adapters()
        for adapter in self.adapters:
            await adapter.start()
            self._stack.push_async_callback(_stop_adapter, adapter)
        self._adapters_started = True
        await self.cluster.start()
        self._stack.push_async_callback(self.cluster.stop)
        notifiers: dict[Platform, Notifier] = {
            a.notifier.platform: self._metered_notifier(a.notifier) for a in self.adapters
        }
        self.deliverer = Deliverer(
            self.storage,
            notifiers,
            self.clock,
            batch=s.delivery_batch,
            lease_seconds=s.delivery_lease_seconds,
            in_flight=s.delivery_in_flight,
            max_attempts=s.delivery_max_attempts,
            coalesce_threshold=s.coalesce_threshold,
            digest_max_stories=s.digest_max_stories,
            alerts_per_hour=s.alerts_per_hour,
            retention=timedelta(hours=s.undelivered_retention_hours),
            keep_finished=timedelta(days=s.outbox_keep_days),
            housekeeper=lambda: self.cluster.held(HOUSEKEEPER),
        )
        if self.storage.single_writer:
            reclaimed = await self.storage.reclaim_deliveries(self.clock.now())
            if reclaimed:
                logger.info("%d deliveries claimed before a crash are due again", reclaimed)
        self._delivery = asyncio.create_task(self.deliverer.run(), name="delivery")
        self._stack.push_async_callback(self._stop_delivery)
        summarizer = ModelSummarizer(
            s.summarizer, model=s.summarizer_model, max_words=s.summary_words, encoder=encoder
        )
        # Each source's stock lines, learned from its stories, stay out of the briefs.
        self.furniture = FurnitureLearner(summarizer, self.storage, self.clock)
        pipeline_source: FeedSource = source
        pipeline_summarizer: Summarizer = self.furniture
        if self.metrics is not None:
            pipeline_source = MeteredSource(source, self.metrics)
            pipeline_summarizer = MeteredSummarizer(self.furniture, self.metrics)
        self.pipeline = Pipeline(
            self.storage,
            pipeline_source,
            pipeline_summarizer,
            poll_interval=timedelta(seconds=s.poll_interval_seconds),
            max_interval=timedelta(seconds=s.max_poll_interval_seconds),
            max_failures=s.feed_max_failures,
            notify=self.deliverer.notify,
            on_queued=self.deliverer.wake,
            deduper=self.embedder,
            embedder=self.embedder,
            dedup_window=timedelta(hours=s.dedup_window_hours),
            max_new=s.max_new_per_poll,
            feed_budget=timedelta(seconds=s.feed_poll_budget_seconds),
        )
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.poll,
            "interval",
            seconds=min(SCHEDULER_TICK_SECONDS, s.poll_interval_seconds),
            next_run_time=datetime.now(UTC),
            # Rounds may overlap: a slow feed still being polled must not hold up the next
            # tick's other due feeds (the pipeline skips the feeds a running round has).
            max_instances=POLL_ROUNDS,
            coalesce=True,
            id="poll",
        )
        self.scheduler.add_job(
            self._housekeep_furniture, "interval", hours=1, max_instances=1, id="furniture"
        )
        self.scheduler.start()
        self._stack.push_async_callback(self._stop_polling)
        # Everything built so far lives as long as the process: keep it out of the garbage
        # collector's full passes, which otherwise walk every module object (~100 ms with
        # 120k objects; bench/ingest.py measured those pauses as the event loop's worst lag).
        gc.freeze()
        self._running = True
        if not catalogue:
            logger.warning("%s", empty_catalogue_hint(s.feeds_file))
        logger.info(
            "newsbrief running: %d feeds, chats: %s",
            len(catalogue),
            ", ".join(a.notifier.platform.value for a in self.adapters),
        )

    def _build_adapters(self) -> list[ChatAdapter]:
        s = self.settings
        adapters: list[ChatAdapter] = []
        if s.telegram_token is not None:
            from bot.adapters.telegram_bot import TelegramAdapter, TelegramSettings

            claim = self._claim(Platform.TELEGRAM, "NEWSBRIEF_TELEGRAM_TOKEN")
            telegram = TelegramAdapter(
                s.part(TelegramSettings), self.commands, claim=claim, elected=True
            )
            if telegram.long_polling:  # one getUpdates per bot, or Telegram answers 409
                self.cluster.role(
                    TELEGRAM_RECEIVER,
                    on_gained=telegram.start_receiving,
                    on_lost=telegram.stop_receiving,
                    handover=True,
                )
            adapters.append(telegram)
        if s.discord_token is not None:
            from bot.adapters.discord_bot import DiscordAdapter, DiscordSettings

            claim = self._claim(Platform.DISCORD, "NEWSBRIEF_DISCORD_TOKEN")
            discord = DiscordAdapter(
                s.part(DiscordSettings), self.commands, claim=claim, elected=True
            )
            for name, gained, lost in discord.shard_roles():  # one gateway session a shard
                self.cluster.role(
                    name, on_gained=gained, on_lost=lost, group=DISCORD_SHARDS, handover=True
                )
            adapters.append(discord)
        if not adapters:
            from bot.adapters.console import ConsoleAdapter

            adapters.append(
                ConsoleAdapter(
                    self.commands, sys.stdin, sys.stdout, self.clock, prompt=sys.stdin.isatty()
                )
            )
        return adapters

    def _claim(self, platform: Platform, setting: str) -> Callable[[str], Awaitable[None]]:
        """What an adapter awaits once it knows its bot's id, before it takes any update: a
        database holds the chats of one bot per platform (``Storage.claim_bot``), so a
        second, different bot is refused instead of sending the first bot's chats."""

        async def claim(bot_id: str) -> None:
            owner = await self.storage.claim_bot(platform, bot_id, self.clock.now())
            if owner != bot_id:
                raise ConfigError(
                    [
                        f"{setting}: this database's {platform.value} chats belong to bot "
                        f"{owner}, and this token is bot {bot_id}'s. Start with bot {owner}'s "
                        "token, or give this bot a database of its own (NEWSBRIEF_DATABASE_URL)."
                    ]
                )

        return claim

    def _unready_adapters(self) -> list[str]:
        """The platforms whose adapter is not connected (``/readyz``)."""
        if not self._adapters_started:
            return ["chat adapters starting"]
        return [a.notifier.platform.value for a in self.adapters if not a.ready]

    def _roles(self) -> dict[str, float]:
        """This worker's roles for ``newsbrief_worker_role``: 1 held, 0 standing by."""
        held = self.cluster.roles()
        roles = {"poller": 1.0 if self._running else 0.0}
        roles["housekeeper"] = float(held.get(HOUSEKEEPER, False))
        if TELEGRAM_RECEIVER in held:
            roles["receiver"] = float(held[TELEGRAM_RECEIVER])
        if self.settings.discord_token is not None:
            roles[DISCORD_SHARDS] = float(self.cluster.held_in(DISCORD_SHARDS))
        return roles

    async def _housekeep_furniture(self) -> None:
        if self.cluster.held(HOUSEKEEPER):
            await self.furniture.housekeep()

    def _metered_notifier(self, notifier: Notifier) -> Notifier:
        return notifier if self.metrics is None else MeteredNotifier(notifier, self.metrics)

    async def poll(self) -> None:
        """The scheduler job: poll every due feed."""
        task = asyncio.current_task()
        if task is not None:
            self._poll_tasks.add(task)
        try:
            report = await self.pipeline.poll_due(self.clock.now())
            if self.metrics is not None:
                self.metrics.briefs_created.inc(report.new_briefs)
        except Exception:
            logger.exception("poll failed; the next tick retries")
        finally:
            if task is not None:
                self._poll_tasks.discard(task)

    async def _stop_polling(self) -> None:
        # Let a running poll finish its current feeds instead of having the scheduler
        # cancel it mid-transaction: a cancelled aiosqlite close leaves its thread alive
        # and the process would never exit.
        self.scheduler.pause()
        self.pipeline.stop()
        running = {t for t in self._poll_tasks if not t.done()}
        if running:
            busy = self.pipeline.polling
            logger.warning(
                "stopping, finishing %d feed%s (up to %g s); a second Ctrl-C or SIGTERM "
                "stops at once",
                busy,
                "" if busy == 1 else "s",
                STOP_GRACE_SECONDS,
            )
            await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
        self.scheduler.shutdown(wait=False)

    async def _stop_delivery(self) -> None:
        self.deliverer.stop()
        await asyncio.wait({self._delivery}, timeout=STOP_GRACE_SECONDS)
        self._delivery.cancel()  # only still running if the grace period ran out
        await asyncio.gather(self._delivery, return_exceptions=True)

    async def stop(self) -> None:
        """Stop what ``start`` started, in reverse order; each step runs even if an earlier
        one failed (``AsyncExitStack``)."""
        was_running, self._running = self._running, False
        await self._stack.aclose()
        if was_running:
            logger.info("newsbrief stopped")


async def _stop_adapter(adapter: ChatAdapter) -> None:
    try:
        await adapter.stop()
    except Exception:
        logger.exception("stopping %s failed", type(adapter).__name__)


async def run(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down cleanly; a signal during start-up stops it
    there. A second signal exits at once (``exit_now``)."""
    app = App(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            exit_now(signum)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal, sig)
    starting = asyncio.create_task(app.start(), name="start")
    stopped = asyncio.create_task(stop.wait(), name="stop-signal")
    try:
        await asyncio.wait({starting, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            starting.result()  # a start-up failure is raised here
            await stopped
    finally:
        stopped.cancel()
        await app.stop()


def exit_now(signum: int) -> None:
    """Leave without waiting for the polls and sends under way. Safe: each story is stored
    with its outbox rows in one transaction and a feed's poll state is saved after its stories,
    so a poll cut short is simply done again (stored stories are recognised); outbox claims
    are leases, so a brief being sent goes out again (at once on restart with SQLite, after
    ``NEWSBRIEF_DELIVERY_LEASE_SECONDS`` with PostgreSQL)."""
    logger.warning(
        "second %s: stopping at once; briefs being sent go out again after restart",
        signal.Signals(signum).name,
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    os._exit(128 + signum)
