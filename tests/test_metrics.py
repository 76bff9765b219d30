"""`/metrics`, `/healthz` and `/readyz`, scraped with a real HTTP client: the server alone
(with a real and a broken storage), the port wrappers, and a running `newsbrief run`."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.errors import ChatUnavailable, RateLimited, StorageError
from bot.core.models import Brief, ChatRef, Platform
from bot.metered import MeteredNotifier
from bot.metrics import Metrics, MetricsServer
from bot.storage import SqlStorage
from tests.fakes import T0, RecordingNotifier
from tests.loopback import FeedServer
from tests.run_support import check_alive, newsbrief_run

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _samples(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


class BrokenStorage:
    async def ping(self) -> None:
        raise StorageError("database error: OperationalError: connection refused")

    async def outbox_rows(self) -> dict[str, int]:
        raise StorageError("database error: OperationalError: connection refused")


async def test_server_with_a_real_database(sqlite_storage: SqlStorage) -> None:
    metrics = Metrics()
    server = MetricsServer(metrics, sqlite_storage, listen="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            ready = await http.get("/readyz")
            assert ready.status_code == 200 and ready.text == "ready\n"
            scraped = await http.get("/metrics")
            assert scraped.status_code == 200
            assert scraped.headers["content-type"].startswith("text/plain")
            samples = _samples(scraped.text)
            for state in ("pending", "sending", "sent", "failed"):
                assert _value(samples, "newsbrief_outbox_rows", state=state) == 0.0
            assert _value(samples, "newsbrief_event_loop_lag_seconds") is not None
            assert _value(samples, "newsbrief_briefs_created_total") == 0.0
            assert _value(samples, "newsbrief_summarize_seconds_count") == 0.0
    finally:
        await server.stop()


async def test_readyz_is_503_with_the_reason_when_the_database_fails() -> None:
    server = MetricsServer(Metrics(), BrokenStorage(), listen="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert "database unreachable" in ready.text and "connection refused" in ready.text
            assert (await http.get("/healthz")).status_code == 200  # alive, just not ready
            assert (await http.get("/metrics")).status_code == 200  # a scrape still answers
    finally:
        await server.stop()


async def test_readyz_is_503_naming_a_chat_adapter_that_is_not_connected(
    sqlite_storage: SqlStorage,
) -> None:
    unready = ["telegram"]
    server = MetricsServer(
        Metrics(),
        sqlite_storage,
        listen="127.0.0.1",
        port=0,
        unready=lambda: unready,
        roles=lambda: {"receiver": 0.0, "poller": 1.0, "discord_shards": 2.0},
    )
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 503 and ready.text == "not connected: telegram\n"
            unready.clear()
            assert (await http.get("/readyz")).status_code == 200
            samples = _samples((await http.get("/metrics")).text)
        role = "newsbrief_worker_role"
        assert _value(samples, role, role="receiver") == 0.0
        assert _value(samples, role, role="poller") == 1.0
        assert _value(samples, role, role="discord_shards") == 2.0
    finally:
        await server.stop()


async def test_healthz_is_503_when_the_probe_is_not_running() -> None:
    server = MetricsServer(Metrics(), BrokenStorage(), listen="127.0.0.1", port=0)
    await server.start()
    try:
        assert server._probe is not None
        server._probe.cancel()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:
            health = await http.get("/healthz")
        assert health.status_code == 503 and "probe" in health.text
    finally:
        await server.stop()


async def test_sends_and_rate_limits_are_counted_by_platform_and_outcome() -> None:
    metrics = Metrics()
    inner = RecordingNotifier(platform=Platform.DISCORD)
    chat = ChatRef(Platform.DISCORD, "42")
    inner.failures[chat] = [RateLimited(3.0), ChatUnavailable("kicked")]
    notifier = MeteredNotifier(inner, metrics)
    assert notifier.platform is Platform.DISCORD and notifier.pace is inner.pace
    brief = Brief(1, "k", "f", "T", "S.", "https://news.example/1", "News", T0)
    with pytest.raises(RateLimited):
        await notifier.send_brief(chat, brief)
    with pytest.raises(ChatUnavailable):
        await notifier.send_brief(chat, brief)
    await notifier.send_brief(chat, brief)
    await notifier.send_text(chat, "hello")
    samples = _samples(generate_latest(metrics.registry).decode())
    sends = "newsbrief_sends_total"
    assert _value(samples, sends, platform="discord", outcome="sent") == 2.0
    assert _value(samples, sends, platform="discord", outcome="rate_limited") == 1.0
    assert _value(samples, sends, platform="discord", outcome="chat_unavailable") == 1.0
    assert _value(samples, "newsbrief_rate_limited_total", platform="discord") == 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_running_bot_serves_its_metrics(server: FeedServer, tmp_path: Path) -> None:
    port = _free_port()
    async with newsbrief_run(
        tmp_path,
        server.url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        NEWSBRIEF_METRICS_PORT=str(port),
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"/subscribe loop-news\n")
        await proc.stdin.drain()
        async with asyncio.timeout(60):
            while b"Subscribed to Loopback News" not in await proc.stdout.readline():
                check_alive(proc, tmp_path)
            await server.polled.wait()  # the first poll primes the feed
            server.items = [1, 2, 3]
            while b"Story 3:" not in await proc.stdout.readline():
                check_alive(proc, tmp_path)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200
            async with asyncio.timeout(30):
                while True:  # the send is counted just after the line is written
                    samples = _samples((await http.get("/metrics")).text)
                    sent = _value(
                        samples, "newsbrief_sends_total", platform="console", outcome="sent"
                    )
                    if sent:
                        break
                    await asyncio.sleep(0.1)
        assert (_value(samples, "newsbrief_polls_total", outcome="ok") or 0) >= 2
        assert (_value(samples, "newsbrief_briefs_created_total") or 0) >= 1
        assert (_value(samples, "newsbrief_summarize_seconds_count") or 0) >= 1
        assert (_value(samples, "newsbrief_feed_fetch_seconds_count") or 0) >= 2
        assert _value(samples, "newsbrief_outbox_rows", state="sent") is not None
        assert _value(samples, "newsbrief_worker_role", role="poller") == 1.0
        assert _value(samples, "newsbrief_worker_role", role="housekeeper") == 1.0  # SQLite
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0
