"""Feed leases on a real PostgreSQL shared by two workers (two storages, two engines).

Two workers claiming at the same moment never get the same feed; together they get every due
feed; a dead worker's leases run out and the other worker takes the feeds; a saved state or a
release ends a lease (a release only the worker's own)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.models import Feed
from bot.core.pipeline import Pipeline
from bot.storage import SqlStorage, open_storage
from tests.conftest import _reset_postgres
from tests.fakes import T0, FakeFeedSource, FakeSummarizer

FEEDS = [Feed(f"f{n:03}", f"https://feeds.example/{n}", f"Feed {n}") for n in range(120)]


@pytest.fixture
async def two_workers(postgres_url: str) -> AsyncIterator[tuple[SqlStorage, SqlStorage]]:
    await _reset_postgres(postgres_url)
    first = await open_storage(postgres_url)
    second = await open_storage(postgres_url)
    await first.sync_catalogue(FEEDS)
    yield first, second
    await first.close()
    await second.close()


async def _claim_all(storage: SqlStorage, got: list[str]) -> None:
    while batch := await storage.due_feeds(T0, limit=7, lease_seconds=300):
        got.extend(f.id for f, _ in batch)
        await asyncio.sleep(0)


async def test_two_workers_claiming_at_once_never_get_the_same_feed(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    first, second = two_workers
    mine: list[str] = []
    theirs: list[str] = []
    await asyncio.gather(_claim_all(first, mine), _claim_all(second, theirs))
    assert not set(mine) & set(theirs)
    assert sorted(mine + theirs) == [f.id for f in FEEDS]
    assert mine and theirs  # both took part


async def test_a_dead_workers_feeds_go_to_the_other_when_the_lease_runs_out(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    dead, alive = two_workers
    claimed = await dead.due_feeds(T0, limit=10, lease_seconds=300)  # ... then SIGKILL
    assert len(await alive.due_feeds(T0 + timedelta(seconds=299), lease_seconds=300)) == 110
    later = await alive.due_feeds(T0 + timedelta(seconds=300), lease_seconds=300)
    assert [f.id for f, _ in later] == [f.id for f, _ in claimed]


async def test_a_saved_state_ends_the_lease_and_a_release_only_ones_own(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    first, second = two_workers
    (a, a_state), (b, _), (c, _) = await first.due_feeds(T0, limit=3, lease_seconds=300)
    await first.save_feed_state(replace(a_state, failures=1))  # still due: back-off at T0
    await second.release_feeds([b.id])  # not its lease: nothing happens
    await first.release_feeds([c.id])
    again = await second.due_feeds(T0, limit=3, lease_seconds=300)
    assert [f.id for f, _ in again] == [a.id, c.id, "f003"]


async def test_two_pipelines_fetch_each_due_feed_once(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    source = FakeFeedSource(unchanged={f.url for f in FEEDS})  # one source: counts both
    pipelines = [
        Pipeline(
            storage,
            source,
            FakeSummarizer(),
            poll_interval=timedelta(minutes=10),
            feed_budget=timedelta(hours=1),  # leases of 3 hours: only a save ends them
        )
        for storage in two_workers
    ]
    for now in (T0, T0 + timedelta(minutes=10)):
        source.calls.clear()
        reports = await asyncio.gather(*(p.poll_due(now) for p in pipelines))
        assert Counter(source.calls) == Counter(f.id for f in FEEDS)  # once each
        assert sum(r.polled for r in reports) == len(FEEDS)
        assert all(r.polled for r in reports)
        assert await two_workers[0].due_feeds(now) == []
    # Every 304 was saved in the batched path, and every save ended its feed's lease.
    states = [await two_workers[1].get_feed_state(f.id) for f in FEEDS]
    later = max(st.next_poll_at for st in states if st.next_poll_at is not None)
    assert later < T0 + timedelta(hours=3)  # the leases, had they stayed, would still hold
    assert len(await two_workers[1].due_feeds(later)) == len(FEEDS)
