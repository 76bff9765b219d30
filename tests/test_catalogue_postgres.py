"""Workers starting together on one PostgreSQL each sync the operator's catalogue: none of them
fails on a feed another has just inserted, and the catalogue ends as listed (the start-up race
of several workers: a duplicate-key error on ``feeds_pkey`` stopped one of them)."""

from __future__ import annotations

import asyncio

from bot.core.models import Feed
from bot.storage import open_storage
from tests.conftest import _reset_postgres

FEEDS = [Feed(f"f{n:03}", f"https://feeds.example/{n}", f"Feed {n}") for n in range(200)]


async def test_workers_syncing_the_catalogue_at_once_all_succeed(postgres_url: str) -> None:
    for _ in range(4):  # a race lost once in a while: give it several chances to show
        await _reset_postgres(postgres_url)
        workers = [await open_storage(postgres_url) for _ in range(4)]
        try:
            await asyncio.gather(*(w.sync_catalogue(FEEDS) for w in workers))
            listed = await workers[-1].list_feeds()
            assert sorted(f.id for f in listed) == [f.id for f in FEEDS]
        finally:
            for w in workers:
                await w.close()
