"""Prometheus metrics and health endpoints (``NEWSBRIEF_METRICS_PORT``; off when unset).

A small aiohttp server serves

- ``/metrics``: this process's registry in the Prometheus text format (the outbox gauge is
  refreshed from the database on each scrape);
- ``/healthz``: 200 while the process is alive and its event loop responsive (a probe task
  measures how late its timer fires: ``newsbrief_event_loop_lag_seconds``); 503 when the last
  lag exceeded ``lag_limit`` or the probe stopped;
- ``/readyz``: 200 when the database answers a ``SELECT 1`` and every configured chat adapter
  is connected; 503 with the reason otherwise.

``newsbrief_worker_role{role=...}`` says which cluster roles this worker holds (1) or stands by
for (0): ``poller``, ``housekeeper``, ``receiver`` (Telegram long polling) and
``discord_shards`` (the number of Discord shards whose gateway session it runs).

The metrics are counted at the wiring (``bot.metered`` wraps the core's ports), so the core
never imports prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

logger = logging.getLogger(__name__)

PROBE_SECONDS = 1.0
"""How often the loop-lag probe wakes up."""

LAG_LIMIT_SECONDS = 5.0
"""``/healthz`` fails when the probe last woke this much later than asked."""

STORAGE_TIMEOUT_SECONDS = 5.0
"""How long ``/readyz`` and a scrape wait for the database."""


class HealthStorage(Protocol):
    """What the server asks of the database (``SqlStorage`` provides it)."""

    async def ping(self) -> None: ...

    async def outbox_rows(self) -> dict[str, int]: ...


class Metrics:
    """Every metric of one process, in its own registry (so tests and Apps never share one)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.polls = Counter("newsbrief_polls", "Feed polls by outcome.", ["outcome"], registry=r)
        self.briefs_created = Counter(
            "newsbrief_briefs_created", "Briefs stored by the polling pipeline.", registry=r
        )
        self.sends = Counter(
            "newsbrief_sends",
            "Messages sent to chats, by platform and outcome.",
            ["platform", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "newsbrief_rate_limited",
            "Sends the platform answered with a rate limit (429).",
            ["platform"],
            registry=r,
        )
        self.summarize_seconds = Histogram(
            "newsbrief_summarize_seconds",
            "Time to summarise one batch of stories.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "newsbrief_feed_fetch_seconds",
            "Time to fetch and parse one feed (any outcome).",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.loop_lag = Gauge(
            "newsbrief_event_loop_lag_seconds",
            "How late the event loop ran the last probe timer.",
            registry=r,
        )
        self.outbox_rows = Gauge(
            "newsbrief_outbox_rows", "Outbox rows by state.", ["state"], registry=r
        )
        self.worker_role = Gauge(
            "newsbrief_worker_role",
            "Cluster roles this worker holds (1, or the number of shards) or stands by for (0).",
            ["role"],
            registry=r,
        )


def _nothing_unready() -> Sequence[str]:
    return ()


def _no_roles() -> Mapping[str, float]:
    return {}


class MetricsServer:
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` on ``listen:port``."""

    def __init__(
        self,
        metrics: Metrics,
        storage: HealthStorage,
        *,
        listen: str,
        port: int,
        lag_limit: float = LAG_LIMIT_SECONDS,
        probe_seconds: float = PROBE_SECONDS,
        unready: Callable[[], Sequence[str]] = _nothing_unready,
        roles: Callable[[], Mapping[str, float]] = _no_roles,
    ) -> None:
        """``unready`` names the chat platforms not connected; ``roles`` gives the values of
        ``newsbrief_worker_role`` (both read at each request)."""
        self.metrics = metrics
        self._unready = unready
        self._roles = roles
        self._storage = storage
        self._listen = listen
        self._port = port
        self._lag_limit = lag_limit
        self._probe_seconds = probe_seconds
        self._lag = 0.0
        self._probe: asyncio.Task[None] | None = None
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        self.port: int | None = None
        """The bound port (useful when ``port`` was 0)."""

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._listen, self._port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._probe = asyncio.create_task(self._probe_loop(), name="loop-lag-probe")
        logger.info("metrics and health on http://%s:%s/metrics", self._listen, self.port)

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self._runner.cleanup()

    async def _probe_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self._probe_seconds
            await asyncio.sleep(self._probe_seconds)
            self._lag = max(0.0, loop.time() - asked)
            self.metrics.loop_lag.set(self._lag)

    async def _metrics(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS):
                rows = await self._storage.outbox_rows()
        except Exception as exc:  # a scrape still answers; the gauge keeps its last values
            logger.warning("outbox gauge not refreshed: %s", exc)
        else:
            for state, count in rows.items():
                self.metrics.outbox_rows.labels(state=state).set(count)
        for role, value in self._roles().items():
            self.metrics.worker_role.labels(role=role).set(value)
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        if self._probe is None or self._probe.done():
            return web.Response(status=503, text="event loop probe is not running\n")
        if self._lag > self._lag_limit:
            return web.Response(status=503, text=f"event loop lagging: {self._lag:.1f}s late\n")
        return web.Response(text="ok\n")

    async def _readyz(self, _request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(STORAGE_TIMEOUT_SECONDS):
                await self._storage.ping()
        except TimeoutError:
            return web.Response(status=503, text="database unreachable: no answer in time\n")
        except Exception as exc:
            return web.Response(status=503, text=f"database unreachable: {exc}\n")
        unready = self._unready()
        if unready:
            return web.Response(status=503, text=f"not connected: {', '.join(unready)}\n")
        return web.Response(text="ready\n")
