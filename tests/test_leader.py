"""Cluster-wide singletons (bot.storage.leader) on a real PostgreSQL and on SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.storage.leader import Cluster, lock_key
from bot.storage.migrate import MIGRATION_LOCK, make_engine


def tracked(cluster: Cluster, name: str, events: list[str]) -> None:
    async def gained() -> None:
        events.append(f"gained {name}")

    async def lost() -> None:
        events.append(f"lost {name}")

    cluster.role(name, on_gained=gained, on_lost=lost)


async def test_on_sqlite_every_role_is_held_from_the_start() -> None:
    cluster = Cluster("sqlite+aiosqlite:///x.db")
    events: list[str] = []
    tracked(cluster, "receiver", events)
    await cluster.start()
    assert cluster.roles() == {"receiver": True} and not cluster.shared
    await cluster.stop()
    assert events == ["gained receiver", "lost receiver"]


def test_role_keys_are_stable_distinct_and_apart_from_the_migration_lock() -> None:
    assert lock_key("receiver") == lock_key("receiver")
    assert lock_key("receiver") != lock_key("housekeeper")
    assert MIGRATION_LOCK not in {lock_key("receiver"), lock_key("housekeeper")}
    assert 0 < lock_key("discord_shard_7") < 2**63


async def test_one_holder_at_a_time_and_a_standby_takes_over_when_it_stops(
    postgres_url: str,
) -> None:
    first, second = Cluster(postgres_url), Cluster(postgres_url)
    events: list[str] = []
    tracked(first, "receiver", events)
    tracked(second, "receiver", events)
    await first.start()
    await second.start()
    try:
        assert first.held("receiver") and not second.held("receiver")
        await second.round()
        assert not second.held("receiver")
        await first.stop()
        await second.round()
        assert second.held("receiver")
        assert events == ["gained receiver", "lost receiver", "gained receiver"]
    finally:
        await first.stop()
        await second.stop()


async def test_a_holder_whose_connection_dies_gives_the_role_up_and_a_standby_takes_it(
    postgres_url: str,
) -> None:
    first, second = Cluster(postgres_url), Cluster(postgres_url)
    events: list[str] = []
    tracked(first, "housekeeper", events)
    tracked(second, "housekeeper", events)
    await first.start()
    await second.start()
    engine = make_engine(postgres_url)
    try:
        async with engine.connect() as conn:  # the holder's session dies (as with SIGKILL)
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": lock_key("housekeeper")},
            )
        for _ in range(100):  # pg_terminate_backend returns before the backend has gone
            await second.round()
            if second.held("housekeeper"):
                break
            await asyncio.sleep(0.05)
        assert second.held("housekeeper")
        await first.round()  # the old holder notices and stands down
        assert not first.held("housekeeper")
        await first.round()  # reconnected: a standby now
        assert not first.held("housekeeper")
        assert events == ["gained housekeeper", "gained housekeeper", "lost housekeeper"]
    finally:
        await engine.dispose()
        await first.stop()
        await second.stop()


async def test_a_group_of_roles_is_shared_out_among_the_live_workers(postgres_url: str) -> None:
    first, second = Cluster(postgres_url), Cluster(postgres_url)
    for cluster in (first, second):
        for n in range(3):
            cluster.role(f"shard_{n}", group="shards")
    await first.start()
    try:
        assert first.roles() == {"shard_0": True, "shard_1": True, "shard_2": True}  # alone
        await second.start()
        assert not any(second.roles().values())  # nothing free yet
        await first.round()  # two workers now: at most two shards each; one given up
        assert first.roles() == {"shard_0": True, "shard_1": True, "shard_2": False}
        await second.round()
        assert second.roles() == {"shard_0": False, "shard_1": False, "shard_2": True}
        await second.stop()
        await first.round()  # alone again: takes the dead worker's shard
        assert all(first.roles().values())
    finally:
        await first.stop()
        await second.stop()


async def test_a_handover_role_starts_one_round_after_its_lock_is_taken(
    postgres_url: str,
) -> None:
    first, second = Cluster(postgres_url), Cluster(postgres_url)
    events: list[str] = []
    for cluster in (first, second):
        cluster.role("receiver", handover=True)
    tracked(first, "other", events)
    await first.start()
    try:
        assert not first.held("receiver") and first.held("other")  # locked, not started
        await second.start()
        await first.round()
        assert first.held("receiver")
        await second.round()
        assert not second.held("receiver")
    finally:
        await first.stop()
        await second.stop()
