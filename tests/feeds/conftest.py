"""Fixtures for the feed-ingestion tests: a fixed clock, a loopback server, SQLite storage,
a feed source wired like the real one, and the shared corpora (skipped when absent)."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.feeds.fetch import Fetcher, make_client
from bot.feeds.guard import Network
from bot.feeds.hosts import HostGate
from bot.feeds.source import HttpFeedSource
from bot.feeds.transport import Resolver
from bot.storage import SqlStorage, open_storage
from tests.feeds.loopback import LoopbackServer

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def corpus(name: str) -> Path:
    """A folder of ``../shared/corpora``; the test is skipped when it is not there."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"corpus {path} is not available (it lives outside the repository)")
    return path


@dataclass
class FakeClock:
    """A clock that moves only when told to."""

    current: datetime = T0

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def build_source(
    clock: FakeClock,
    *,
    guard: bool = True,
    allowed: Sequence[Network] = (),
    resolver: Resolver | None = None,
    max_bytes: int = 10_000_000,
    read_timeout: float = 5.0,
    total_timeout: float = 30.0,
    per_host: int = 2,
    fetch_articles: bool = True,
) -> HttpFeedSource:
    """A feed source wired like ``open_feed_source``, with test knobs."""
    client = make_client(
        connect_timeout=2.0,
        read_timeout=read_timeout,
        resolver=resolver,
        allowed=allowed,
        guard=guard,
    )
    fetcher = Fetcher(
        client,
        HostGate(clock, per_host=per_host),
        clock,
        max_bytes=max_bytes,
        total_timeout=total_timeout,
        allowed=allowed,
        guard=guard,
    )
    return HttpFeedSource(fetcher, clock, fetch_articles=fetch_articles)


PUBLIC_STANDIN = (ipaddress.ip_network("127.0.0.2/32"),)
"""Tests declare 127.0.0.2 "public" so a loopback server can stand in for the internet."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def server() -> AsyncIterator[LoopbackServer]:
    srv = await LoopbackServer("127.0.0.1").start()
    yield srv
    await srv.stop()


@pytest.fixture
async def public_server() -> AsyncIterator[LoopbackServer]:
    """A server on 127.0.0.2, which ``PUBLIC_STANDIN`` lets the guard treat as public."""
    srv = await LoopbackServer("127.0.0.2").start()
    yield srv
    await srv.stop()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    store = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    yield store
    await store.close()
