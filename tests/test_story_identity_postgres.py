"""One brief per story across workers: two workers on one PostgreSQL that see the same story
(the same link, or a near-duplicate in other words) at the same moment make one brief.

Each worker is a ``Pipeline`` with its own storage (engine); a summariser that waits until
both have summarised makes sure both found no brief before either stores one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest

from bot.core.models import ChatRef, Feed, Platform, Story
from bot.core.pipeline import Pipeline
from bot.core.ports import Summarised
from bot.storage import SqlStorage, open_storage
from tests.conftest import _reset_postgres
from tests.fakes import (
    T0,
    FakeDeduper,
    FakeFeedSource,
    FakeSummarizer,
    make_story,
    pending_deliveries,
)

X = Feed("x", "https://x.example/rss", "X Wire")
Y = Feed("y", "https://y.example/rss", "Y Post")
CHAT = ChatRef(Platform.TELEGRAM, "1")


class Rendezvous(FakeSummarizer):
    """Summarises only once both workers are summarising (so neither has stored yet)."""

    def __init__(self, barrier: asyncio.Barrier) -> None:
        super().__init__()
        self._barrier = barrier

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        await asyncio.wait_for(self._barrier.wait(), 10)
        return await super().summarize(stories)


@pytest.fixture
async def two_workers(postgres_url: str) -> AsyncIterator[tuple[SqlStorage, SqlStorage]]:
    await _reset_postgres(postgres_url)
    first = await open_storage(postgres_url)
    second = await open_storage(postgres_url)
    await first.sync_catalogue([X, Y])
    for feed in (X, Y):  # primed: new stories are delivered
        state = await first.get_feed_state(feed.id)
        await first.save_feed_state(state.__class__(feed.id, primed=True, interval_seconds=600))
    await first.subscribe(CHAT, ["x", "y"], T0)
    yield first, second
    await first.close()
    await second.close()


async def _race(storages: tuple[SqlStorage, SqlStorage], x: Story, y: Story) -> None:
    source = FakeFeedSource()
    source.items = {X.url: [x], Y.url: [y]}
    barrier = asyncio.Barrier(2)
    deduper = FakeDeduper((x.title, y.title))
    pipelines = [
        Pipeline(
            storage,
            source,
            Rendezvous(barrier),
            poll_interval=timedelta(minutes=10),
            deduper=deduper,
            concurrency=1,
        )
        for storage in storages
    ]
    # Each worker claims one feed at a time (a larger batch could take both feeds).
    first, second = pipelines
    first._claim_batch = second._claim_batch = 1
    reports = await asyncio.gather(*(p.poll_due(T0) for p in pipelines))
    assert sorted(source.calls) == ["x", "y"] and all(r.polled == 1 for r in reports)


@pytest.mark.parametrize(
    "y_story",
    [
        make_story(1, "y"),  # the same link
        make_story(2, "y", title="Quake strikes the city at dawn"),  # a near-duplicate
    ],
    ids=["same-link", "near-duplicate"],
)
async def test_two_workers_seeing_one_story_at_once_make_one_brief(
    two_workers: tuple[SqlStorage, SqlStorage], y_story: Story
) -> None:
    x_story = make_story(1, "x", title="Dawn quake hits the city")
    await _race(two_workers, x_story, y_story)
    storage = two_workers[0]
    (brief,) = await storage.latest(None, 10)
    assert {brief.source, *brief.also_sources} == {"X Wire", "Y Post"}
    assert [d.brief.id for d in await pending_deliveries(storage, CHAT)] == [brief.id]
