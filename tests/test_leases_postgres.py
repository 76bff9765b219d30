"""Outbox leases on a real PostgreSQL shared by two workers (tests/postgres.py).

A killed worker's unsent claims are due within 30 s of a restart (the default lease), a
worker renews the leases of rows still in its chats' queues so that nobody else takes them,
and after a round that lost the database a worker releases its own unsent claims at once,
leaving the other worker's alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.core.delivery import Deliverer
from bot.core.models import Feed
from bot.storage import SqlStorage, open_storage
from tests.conftest import _reset_postgres
from tests.core.delivery_support import TimeMachine, add_briefs, chat
from tests.core.test_delivery_pipelined import LosesTheDatabaseOnce
from tests.fakes import RecordingNotifier, count_pending

LEASE = Settings(_env_file=None).delivery_lease_seconds  # type: ignore[call-arg]


@pytest.fixture
async def two_workers(postgres_url: str) -> AsyncIterator[tuple[SqlStorage, SqlStorage]]:
    await _reset_postgres(postgres_url)
    first = await open_storage(postgres_url)
    second = await open_storage(postgres_url)
    await first.sync_catalogue([Feed("wire", "https://wire.example/rss", "Wire")])
    yield first, second
    await first.close()
    await second.close()


def deliverer(storage: object, clock: TimeMachine, notifier: RecordingNotifier) -> Deliverer:
    return Deliverer(
        storage,  # type: ignore[arg-type]
        {notifier.platform: notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        lease_seconds=LEASE,
        coalesce_threshold=0,
    )


async def test_a_killed_workers_claims_are_due_within_30_s_of_restart(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    dead, restarted = two_workers
    clock = TimeMachine()
    for n in range(3):
        await dead.subscribe(chat(n), ["wire"], clock.now())
    briefs = await add_briefs(dead, "wire", 2, clock.now())
    assert len(await dead.claim_deliveries(clock.now(), 500, LEASE)) == 6  # then SIGKILL
    clock.advance(1)  # the restart
    notifier = RecordingNotifier()
    d = deliverer(restarted, clock, notifier)
    assert await d.drain() == 0  # still leased to the dead worker
    clock.advance(LEASE)
    assert LEASE + 1 <= 30
    while await d.drain():
        pass
    for n in range(3):
        assert notifier.briefs_to(chat(n)) == [b.id for b in briefs]
    assert await count_pending(restarted) == 0


async def test_renewed_leases_keep_rows_still_queued_from_another_worker(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    busy, other = two_workers
    clock = TimeMachine()
    await busy.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(busy, "wire", 4, clock.now())
    assert len(await busy.claim_deliveries(clock.now(), 500, LEASE)) == 4
    clock.advance(LEASE * 0.75)
    assert await busy.renew_claims(clock.now(), LEASE) == 4
    clock.advance(LEASE * 0.5)  # past the first lease, within the renewed one
    assert await other.claim_deliveries(clock.now(), 500, LEASE) == []
    clock.advance(LEASE)  # the busy worker died without renewing again
    assert len(await other.claim_deliveries(clock.now(), 500, LEASE)) == 4


async def test_release_after_a_failed_round_frees_only_this_workers_claims(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    mine, theirs = two_workers
    clock = TimeMachine()
    for n in range(4):
        await mine.subscribe(chat(n), ["wire"], clock.now())
    await add_briefs(mine, "wire", 1, clock.now())
    assert len(await theirs.claim_deliveries(clock.now(), 2, LEASE)) == 2
    assert len(await mine.claim_deliveries(clock.now(), 2, LEASE)) == 2
    assert await mine.release_claims(clock.now()) == 2
    assert len(await mine.claim_deliveries(clock.now(), 10, LEASE)) == 2  # due at once
    clock.advance(1)
    assert await theirs.renew_claims(clock.now(), LEASE) == 2  # theirs were never touched


async def test_a_round_that_lost_the_database_is_resent_at_once_not_after_the_lease(
    two_workers: tuple[SqlStorage, SqlStorage],
) -> None:
    storage, _ = two_workers
    clock = TimeMachine()
    for n in range(3):
        await storage.subscribe(chat(n), ["wire"], clock.now())
    briefs = await add_briefs(storage, "wire", 2, clock.now())
    notifier = RecordingNotifier()
    d = deliverer(LosesTheDatabaseOnce(storage), clock, notifier)
    start = clock.now()
    for _ in range(20):
        if not await d.drain() and not await count_pending(storage):
            break
    assert clock.now() - start < timedelta(seconds=LEASE)  # no wait for the lease
    expected = {(f"c{n}", b.id) for n in range(3) for b in briefs}
    sent = [(c.chat_id, b.id) for c, b, _ in notifier.sent]
    assert set(sent) == expected and len(sent) - len(expected) <= 1
