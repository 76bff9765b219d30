"""End to end: a loopback HTTP server serves a feed; the real pipeline polls it with the real
fetcher, parser and SQLite storage; the real delivery loop pushes to a recording notifier."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.core.delivery import Deliverer
from bot.core.models import ChatRef, Feed, Platform
from bot.core.pipeline import Pipeline
from bot.core.ports import Pace, Storage
from bot.feeds.settings import FetchSettings
from bot.feeds.source import open_feed_source
from bot.storage import open_storage
from tests.fakes import FakeSummarizer, FixedClock, RecordingNotifier
from tests.loopback import FeedServer

CHAT = ChatRef(Platform.CONSOLE, "console")


async def test_poll_push_repeat_and_restart(server: FeedServer, tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    clock = FixedClock()
    notifier = RecordingNotifier(Platform.CONSOLE, Pace(per_chat_interval=0.0, per_second=1e6))
    summarizer = FakeSummarizer()
    source = open_feed_source(Settings(_env_file=None).part(FetchSettings), clock)
    try:

        def pipeline_for(storage: Storage) -> Pipeline:
            return Pipeline(storage, source, summarizer, poll_interval=timedelta(seconds=60))

        storage = await open_storage(db)
        await storage.sync_catalogue([Feed("loop", server.url, "Loopback News", ("world",))])
        await storage.subscribe(CHAT, ["loop"], clock.now())
        deliverer = Deliverer(storage, {Platform.CONSOLE: notifier}, clock, sleep=clock.sleep)

        # First poll primes: stories stored (for /latest), nothing pushed.
        report = await pipeline_for(storage).poll_due(clock.now())
        assert report.new_briefs == 2 and await deliverer.drain() == 0
        assert [b.title for b in await storage.latest(["loop"], 5)] == [
            "Story 2: troops cross into Kursk",
            "Story 1: troops cross into Kursk",
        ]

        # Two new entries: exactly one brief each, to the one subscriber.
        server.items = [1, 2, 3, 4]
        clock.advance(3600)  # polls adapt: a quiet (304) feed waits longer than the floor
        report = await pipeline_for(storage).poll_due(clock.now())
        assert report.new_briefs == 2
        await deliverer.drain()
        assert [(c, b.link) for c, b, _ in notifier.sent] == [
            (CHAT, "https://news.example/story-3"),
            (CHAT, "https://news.example/story-4"),
        ]

        # Repeat poll with no change: a conditional GET answered 304, nothing sent.
        clock.advance(3600)  # polls adapt: a quiet (304) feed waits longer than the floor
        report = await pipeline_for(storage).poll_due(clock.now())
        assert report.not_modified == 1 and report.new_briefs == 0
        assert server.requests[-1].get("If-None-Match") == '"v4-4"'
        assert await deliverer.drain() == 0 and len(notifier.sent) == 2

        # A new story is stored, then the process "dies" before delivering it.
        server.items = [1, 2, 3, 4, 5]
        clock.advance(3600)  # polls adapt: a quiet (304) feed waits longer than the floor
        await pipeline_for(storage).poll_due(clock.now())
        await storage.close()

        # After the restart the stored brief is delivered once, and polling goes on.
        storage = await open_storage(db)
        deliverer = Deliverer(storage, {Platform.CONSOLE: notifier}, clock, sleep=clock.sleep)
        assert await deliverer.drain() == 1
        assert notifier.sent[-1][1].link == "https://news.example/story-5"
        clock.advance(3600)  # polls adapt: a quiet (304) feed waits longer than the floor
        await pipeline_for(storage).poll_due(clock.now())
        assert await deliverer.drain() == 0 and len(notifier.sent) == 3
        assert summarizer.calls.count("https://news.example/story-5") == 1
        await storage.close()
    finally:
        await source.aclose()
