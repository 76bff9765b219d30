"""Feed leases on SQLite, where one process owns the file."""

from __future__ import annotations

from pathlib import Path

from bot.core.models import Feed
from bot.storage import open_storage
from tests.fakes import T0


async def test_on_sqlite_a_dead_runs_feed_leases_are_free_at_restart(tmp_path: Path) -> None:
    """One process owns a SQLite file: a lease left by a run killed mid-poll (another claim
    token) does not hold the feed for the next run, while this run's own lease does."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'nb.db'}"
    dead = await open_storage(url)
    await dead.sync_catalogue([Feed("only", "https://only.example/rss", "Only")])
    assert len(await dead.due_feeds(T0, lease_seconds=360)) == 1  # ... and the run is killed
    await dead.close()
    restarted = await open_storage(url)
    try:
        assert [f.id for f, _ in await restarted.due_feeds(T0, lease_seconds=360)] == ["only"]
        assert await restarted.due_feeds(T0, lease_seconds=360) == []  # its own lease holds
    finally:
        await restarted.close()
