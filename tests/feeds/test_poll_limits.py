"""One entry never stops a feed, one feed never stops a round: the real source, SQLite, a
loopback server (issue 13 items 1-2, issue 16 item 7)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.errors import StorageError
from bot.core.models import Brief, ChatRef, Feed, FeedState, Platform, Story
from bot.core.pipeline import Pipeline
from bot.feeds import article
from bot.feeds.parse import MAX_ENTRIES, parse_bytes
from bot.feeds.source import HttpFeedSource
from bot.feeds.transport import StaticResolver
from bot.storage import SqlStorage
from tests.fakes import pending_deliveries
from tests.feeds.conftest import T0, FakeClock, build_source
from tests.feeds.helpers import EchoSummarizer, Item, Notices, rss
from tests.feeds.loopback import LoopbackServer, Reply

CHAT = ChatRef(Platform.CONSOLE, "room")
OLD = Item("Old story", "https://news.test/old", "old")
HTML = {"Content-Type": "text/html"}


def _pipeline(storage: SqlStorage, source: HttpFeedSource, notices: Notices, **kw: int) -> Pipeline:
    return Pipeline(
        storage,
        source,
        EchoSummarizer(),
        poll_interval=timedelta(minutes=10),
        notify=notices,
        max_new=kw.get("max_new", 50),
    )


async def _primed(storage: SqlStorage, *feeds: Feed) -> None:
    await storage.sync_catalogue(list(feeds))
    await storage.subscribe(CHAT, [f.id for f in feeds], T0)


async def test_an_idna_poison_link_costs_only_its_article(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    body = [rss([OLD])]
    server.route("/feed", lambda r: Reply(200, body[0]))
    server.route("/story", lambda r: Reply(200, b"<html><p>short</p></html>", HTML))
    feed = Feed("news", server.url("/feed"), "News")
    await _primed(storage, feed)
    source = build_source(clock, guard=False)
    notices = Notices()
    pipeline = _pipeline(storage, source, notices)
    try:
        await pipeline.poll_due(clock.now())  # primes
        body[0] = rss(
            [
                Item("Poison one", "http://xn--a-.example/x", "p1", summary="A teaser."),
                Item("Poison two", f"http://{'a' * 70}.example/x", "p2", summary="A teaser."),
                Item("Fine story", server.url("/story"), "ok", summary="A teaser."),
                OLD,
            ]
        )
        clock.advance(3600)
        report = await pipeline.poll_due(clock.now())
    finally:
        await source.aclose()
    assert report.failed == 0 and report.new_briefs == 3 and report.skipped_entries == 0
    queued = {d.brief.title for d in await pending_deliveries(storage, CHAT)}
    assert queued == {"Poison one", "Poison two", "Fine story"}
    state = await storage.get_feed_state("news")
    assert state.failures == 0 and state.last_error is None
    assert len(server.hits("/story")) == 1  # the good entry's article was still fetched


async def test_an_import_error_in_extraction_keeps_the_teaser_and_stops_fetching(
    clock: FakeClock,
    server: LoopbackServer,
    storage: SqlStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(page: bytes | str, url: str = "", *, min_words: int = 20) -> tuple[str, str]:
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(article, "extract_text", broken)
    body = [rss([OLD])]
    server.route("/feed", lambda r: Reply(200, body[0]))
    server.route("/a", lambda r: Reply(200, b"<html><p>page</p></html>", HTML))
    server.route("/b", lambda r: Reply(200, b"<html><p>page</p></html>", HTML))
    feed = Feed("news", server.url("/feed"), "News")
    await _primed(storage, feed)
    source = build_source(clock, guard=False)
    pipeline = _pipeline(storage, source, Notices())
    try:
        await pipeline.poll_due(clock.now())
        body[0] = rss([Item("First", server.url("/a"), "a", summary="Teaser A."), OLD])
        clock.advance(3600)
        first = await pipeline.poll_due(clock.now())
        body[0] = rss(
            [
                Item("Second", server.url("/b"), "b", summary="Teaser B."),
                Item("First", server.url("/a"), "a", summary="Teaser A."),
                OLD,
            ]
        )
        clock.advance(3600)
        second = await pipeline.poll_due(clock.now())
    finally:
        await source.aclose()
    assert first.failed == second.failed == 0 and first.new_briefs == second.new_briefs == 1
    briefs = {d.brief.title: d.brief.summary for d in await pending_deliveries(storage, CHAT)}
    assert briefs == {"First": "Teaser A.", "Second": "Teaser B."}
    # The page was fetched once; after the ImportError no more article requests are made.
    assert len(server.hits("/a")) == 1 and server.hits("/b") == []
    assert (await storage.get_feed_state("news")).failures == 0


async def test_a_flood_feed_pushes_at_most_n_and_the_other_feed_arrives_in_the_same_round(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    flood = [rss([OLD])]
    calm = [rss([Item("Calm old", "https://calm.test/old", "c0")], title="Calm")]
    server.route("/flood", lambda r: Reply(200, flood[0]))
    server.route("/calm", lambda r: Reply(200, calm[0]))
    feeds = Feed("flood", server.url("/flood"), "Flood"), Feed("calm", server.url("/calm"), "Calm")
    await _primed(storage, *feeds)
    source = build_source(clock, guard=False, fetch_articles=False)
    notices = Notices()
    pipeline = _pipeline(storage, source, notices, max_new=50)
    try:
        await pipeline.poll_due(clock.now())
        items = [Item(f"Flood {n}", f"https://flood.test/{n}", f"f{n}") for n in range(10_000)]
        flood[0] = rss([*items, OLD])
        calm[0] = rss(
            [
                Item("Calm news", "https://calm.test/1", "c1"),
                Item("Calm old", "https://calm.test/old", "c0"),
            ]
        )
        clock.advance(3600)
        report = await pipeline.poll_due(clock.now())
        again = await pipeline.poll_due(clock.now() + timedelta(hours=1))
    finally:
        await source.aclose()
    queued = [d.brief for d in await pending_deliveries(storage, CHAT)]
    assert "Calm news" in {b.title for b in queued}
    pushed = [b.title for b in queued if b.feed_id == "flood"]
    assert len(pushed) == 50 and set(pushed) == {f"Flood {n}" for n in range(50)}  # the first
    assert report.failed == 0 and again.new_briefs == 0  # the skipped ones count as seen
    (notice,) = [text for chat, text in notices.sent if "Flood" in text]
    assert "10,001 new entries" in notice and "newest 50" in notice
    assert f"{10_001 - 50:,} older ones were skipped" in notice
    assert len(await storage.latest(["flood"], 5000)) == MAX_ENTRIES + 1  # read, stored, unpushed


async def test_articles_per_poll_and_per_foreign_host_are_capped(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    names = ["feed.news.test", "www.news.test", "other.example", "third.example"]
    resolver = StaticResolver({n: ["127.0.0.1"] for n in names})
    body = [rss([OLD])]
    server.route("/feed", lambda r: Reply(200, body[0]))
    server.route("/a", lambda r: Reply(200, b"<html><p>page</p></html>", HTML))
    feed = Feed("news", server.url("/feed", host="feed.news.test"), "News")
    await _primed(storage, feed)
    base = build_source(clock, guard=False, resolver=resolver)
    source = HttpFeedSource(base.fetcher, clock, articles_per_poll=6, articles_per_host=2)
    pipeline = _pipeline(storage, source, Notices())
    try:
        await pipeline.poll_due(clock.now())
        items = [
            Item(f"Story {host} {n}", server.url(f"/a?{n}", host=host), f"{host}{n}", summary="T.")
            for host in ("www.news.test", "other.example", "third.example")
            for n in range(4)
        ]
        body[0] = rss([*items, OLD])
        clock.advance(3600)
        report = await pipeline.poll_due(clock.now())
    finally:
        await source.aclose()
    assert report.new_briefs == 12 and report.failed == 0
    asked = [r.headers["host"].split(":")[0] for r in server.requests if r.path.startswith("/a")]
    assert len(asked) == 6  # 12 teasers, 6 article fetches in all
    assert asked.count("other.example") <= 2 and asked.count("third.example") <= 2


async def test_a_slow_feed_does_not_hold_up_the_next_round(storage: SqlStorage) -> None:
    """A feed still being polled is skipped by an overlapping round, which polls the rest."""
    from tests.fakes import FakeFeedSource, make_story

    slow, quick = (
        Feed("slow", "https://slow.test/rss", "Slow"),
        Feed("q", "https://q.test/rss", "Q"),
    )
    await storage.sync_catalogue([slow, quick])
    source = FakeFeedSource()
    release = asyncio.Event()
    fetch = source.fetch

    async def fetch_slowly(feed: Feed, state: FeedState) -> object:
        if feed.id == "slow":
            await release.wait()
        return await fetch(feed, state)

    source.fetch = fetch_slowly  # type: ignore[assignment, method-assign]
    source.items[quick.url] = [make_story(1, "q")]
    pipeline = _pipeline(storage, source, Notices())  # type: ignore[arg-type]
    first = asyncio.create_task(pipeline.poll_due(T0))
    for _ in range(10_000):  # round one: q done, slow hanging
        if (await storage.get_feed_state("q")).primed:
            break
        await asyncio.sleep(0)
    source.items[quick.url] = [make_story(2, "q"), make_story(1, "q")]
    second = await pipeline.poll_due(T0 + timedelta(hours=1))
    assert second.polled == 1 and second.new_briefs == 1  # only q: slow is still in round one
    release.set()
    assert (await first).polled == 2
    assert source.calls.count("slow") == 1


def test_a_title_that_is_not_markup_survives() -> None:
    doc = rss([Item("AT&T <Q3> results", "https://news.test/att", summary="Up <5%> & more")])
    (story,) = parse_bytes("f", doc, {}, "https://news.test/", T0).stories
    assert story.title == "AT&T <Q3> results"
    assert story.summary == "Up <5%> & more"
    html = rss([Item("<b>Bold</b> move", "https://news.test/b")])
    assert parse_bytes("f", html, {}, "https://news.test/", T0).stories[0].title == "Bold move"


def test_a_huge_document_is_cut_before_parsing() -> None:
    items = [Item(f"S{n}", f"https://news.test/{n}") for n in range(MAX_ENTRIES + 500)]
    parsed = parse_bytes("f", rss(items, title="Big"), {}, "https://news.test/", T0)
    assert len(parsed.stories) == MAX_ENTRIES and parsed.dropped == 500
    assert parsed.title == "Big" and parsed.warning is None  # still well-formed
    assert parsed.stories[0].title == "S0"


async def test_an_unexpected_enrich_error_keeps_the_teaser(storage: SqlStorage) -> None:
    from tests.fakes import FakeFeedSource, make_story

    feed = Feed("f", "https://f.test/rss", "F")
    await _primed(storage, feed)
    source = FakeFeedSource()

    async def enrich(story: Story) -> Story:
        raise RuntimeError("extractor bug")

    source.enrich = enrich  # type: ignore[method-assign]
    source.items[feed.url] = [make_story(1)]
    pipeline = _pipeline(storage, source, Notices())  # type: ignore[arg-type]
    await pipeline.poll_due(T0)
    source.items[feed.url] = [make_story(2), make_story(1)]
    report = await pipeline.poll_due(T0 + timedelta(hours=1))
    assert report.failed == 0 and report.new_briefs == 1
    (delivery,) = await pending_deliveries(storage, CHAT)
    assert delivery.brief.summary == make_story(2).summary


async def test_skipped_entries_are_stored_in_batches_and_a_bad_batch_one_by_one() -> None:
    """Entries past ``max_new`` cost a transaction per ``SEEN_BATCH``, not one each; a batch
    that fails is stored entry by entry, so only the entry at fault is skipped."""
    from bot.core.pipeline import SEEN_BATCH
    from bot.core.ports import Summarised
    from tests.fakes import FakeFeedSource, FakeStorage, make_story

    class CountingStorage(FakeStorage):
        seen_calls: int = 0
        story_calls: int = 0

        async def record_seen(
            self, items: Sequence[tuple[Story, Summarised]], now: datetime
        ) -> None:
            self.seen_calls += 1
            if any(story.title == "poison" for story, _ in items):
                raise StorageError("database error: DataError: value too long")
            await super().record_seen(items, now)

        async def record_story(
            self, story: Story, text: Summarised | None, now: datetime, **kw: Any
        ) -> Brief:
            self.story_calls += 1
            if story.title == "poison":
                raise StorageError("database error: DataError: value too long")
            return await super().record_story(story, text, now, **kw)

    storage = CountingStorage()
    feed = Feed("f", "https://f.test/rss", "F")
    await storage.sync_catalogue([feed])
    await storage.subscribe(CHAT, ["f"], T0)
    source = FakeFeedSource()
    source.items[feed.url] = [make_story(0)]
    pipeline = _pipeline(storage, source, Notices(), max_new=50)  # type: ignore[arg-type]
    await pipeline.poll_due(T0)
    flood = [make_story(n) for n in range(1, 2 * SEEN_BATCH + 51)]
    flood[10] = replace(flood[10], title="poison")  # among the oldest: skipped, not pushed
    source.items[feed.url] = [*flood, make_story(0)]
    storage.seen_calls = storage.story_calls = 0
    report = await pipeline.poll_due(T0 + timedelta(hours=1))
    assert storage.seen_calls == 2  # two batches of SEEN_BATCH
    assert storage.story_calls == 50 + SEEN_BATCH  # the pushed ones, and the bad batch
    assert report.skipped_entries == 1 and report.failed == 0
    assert len(await pending_deliveries(storage, CHAT)) == 50
    assert len(await storage.latest(["f"], 1000)) == 2 * SEEN_BATCH + 50
