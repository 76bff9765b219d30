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


async def test_two_workers_adding_the_same_new_feed_at_once_get_one_feed(
    postgres_url: str,
) -> None:
    """Two chats on two workers subscribe to the same new address at the same moment: both
    get the one feed, and neither gets a database error."""
    await _reset_postgres(postgres_url)
    first, second = await open_storage(postgres_url), await open_storage(postgres_url)
    try:
        for n in range(10):
            feed = Feed(f"new-{n}", f"https://new.example/{n}/rss", f"New {n}")
            one, two = await asyncio.gather(first.add_feed(feed), second.add_feed(feed))
            assert one.id == two.id == f"new-{n}"
        assert len(await first.list_feeds()) == 10
    finally:
        await first.close()
        await second.close()
