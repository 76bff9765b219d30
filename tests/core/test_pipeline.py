"""The pipeline against fakes: priming, failures, back-off, pausing and cross-feed stories."""

from __future__ import annotations

from datetime import timedelta

from bot.core.briefs import clip
from bot.core.errors import FeedUnavailableError, HostThrottledError
from bot.core.models import ChatRef, Feed, FeedState, Platform
from bot.core.pipeline import PRIME_SUMMARISED, STATE_BATCH, Pipeline
from bot.core.ports import FetchResult
from tests.fakes import (
    FakeFeedSource,
    FakeStorage,
    FakeSummarizer,
    FixedClock,
    count_pending,
    make_story,
    pending_deliveries,
)

CHAT = ChatRef(Platform.CONSOLE, "c1")
A = Feed("a", "https://a.example/rss", "Alpha News", ("world",))
B = Feed("b", "https://b.example/rss", "Beta Times", ("world",))


async def _setup(
    **kw: int,
) -> tuple[Pipeline, FakeStorage, FakeFeedSource, list[tuple[ChatRef, str]]]:
    storage = FakeStorage()
    await storage.sync_catalogue([A, B])
    source = FakeFeedSource()
    told: list[tuple[ChatRef, str]] = []

    async def notify(chat: ChatRef, text: str) -> None:
        told.append((chat, text))

    pipeline = Pipeline(
        storage,
        source,
        FakeSummarizer(),
        poll_interval=timedelta(minutes=10),
        max_failures=kw.get("max_failures", 3),
        notify=notify,
    )
    return pipeline, storage, source, told


async def test_first_poll_primes_without_pushing() -> None:
    pipeline, storage, source, _ = await _setup()
    await storage.subscribe(CHAT, ["a"], FixedClock().now())
    source.items[A.url] = [make_story(1), make_story(2)]
    report = await pipeline.poll_due(FixedClock().now())
    assert report.new_briefs == 2 and report.polled == 2
    assert await count_pending(storage) == 0
    assert len(await storage.latest(["a"], 10)) == 2
    assert (await storage.get_feed_state("a")).primed


async def test_priming_a_long_feed_summarises_only_the_newest_entries() -> None:
    pipeline, storage, source, _ = await _setup()
    summarizer = pipeline._summarizer
    assert isinstance(summarizer, FakeSummarizer)
    stories = [make_story(n, summary=f"Teaser {n}. " + "More words here. " * 60) for n in range(25)]
    source.items[A.url] = stories
    report = await pipeline.poll_due(FixedClock().now())
    newest = {s.key for s in stories[-PRIME_SUMMARISED:]}
    assert set(source.enriched) == newest and set(summarizer.calls) == newest
    assert report.new_briefs == 25  # every entry stored, so none is ever pushed later
    shown = {b.story_key: b for b in await storage.latest(["a"], 30)}
    assert len(shown) == 25
    oldest = shown[stories[0].key]
    assert oldest.summary.startswith("Teaser 0.") and oldest.summary.endswith(".")
    assert len(oldest.summary) <= 600
    source.items[A.url] = [*stories, make_story(99)]
    summarizer.calls.clear()
    await pipeline.poll_due(FixedClock().now() + timedelta(hours=1))
    assert summarizer.calls == [make_story(99).key]  # after priming, every new story is


async def test_unchanged_feeds_are_saved_in_batches_and_changed_ones_at_once() -> None:
    storage = FakeStorage()
    feeds = [Feed(f"f{i}", f"https://f{i}.example/rss", f"F{i}") for i in range(STATE_BATCH + 5)]
    await storage.sync_catalogue(feeds)
    source = FakeFeedSource(unchanged={f.url for f in feeds[1:]})
    source.items[feeds[0].url] = [make_story(1)]
    pipeline = Pipeline(storage, source, FakeSummarizer(), poll_interval=timedelta(minutes=10))
    now = FixedClock().now()
    report = await pipeline.poll_due(now)
    assert report.not_modified == STATE_BATCH + 4
    assert sorted(storage.batches) == [4, STATE_BATCH]  # one full batch, the rest at the end
    for feed in feeds:
        state = await storage.get_feed_state(feed.id)
        assert state.last_polled_at == now and state.next_poll_at == now + timedelta(minutes=10)
    assert await storage.due_feeds(now + timedelta(minutes=5)) == []


def test_clip_cuts_at_a_sentence_else_a_word() -> None:
    assert clip("One.  Two.", 50) == "One. Two."
    assert clip("First sentence here. Second one is long.", 30) == "First sentence here."
    assert clip("no sentence end anywhere in this text", 20) == "no sentence end…"


async def test_failures_back_off_then_pause_and_tell_subscribers_once() -> None:
    pipeline, storage, source, told = await _setup(max_failures=3)
    clock = FixedClock()
    await storage.subscribe(CHAT, ["a"], clock.now())
    source.items[A.url] = FeedUnavailableError("HTTP 500 from https://a.example/rss")
    delays = []
    for _ in range(3):
        await pipeline.poll_due(clock.now())
        state = await storage.get_feed_state("a")
        assert state.next_poll_at is not None
        delays.append(state.next_poll_at - clock.now())
        clock.current = state.next_poll_at
    assert delays[0] < delays[1]  # exponential
    state = await storage.get_feed_state("a")
    assert state.failures == 3 and state.paused_reason is not None
    assert len(told) == 1 and told[0][0] == CHAT
    assert "/subscribe a" in told[0][1] and "HTTP 500" in told[0][1]
    assert "the server had an error" in told[0][1] and "a.example/rss" not in told[0][1]
    assert (
        state.paused_reason == "3 failed polls in a row, last: the server had an error (HTTP 500)"
    )
    await pipeline.poll_due(clock.now() + timedelta(days=2))
    assert source.calls.count("a") == 3 and len(told) == 1  # paused: not polled, not re-told


async def test_throttled_host_waits_retry_after_without_counting_failure() -> None:
    pipeline, storage, source, _ = await _setup()
    clock = FixedClock()
    source.items[A.url] = HostThrottledError("HTTP 429", retry_after=120)
    await pipeline.poll_due(clock.now())
    state = await storage.get_feed_state("a")
    assert state.failures == 0 and state.next_poll_at == clock.now() + timedelta(seconds=120)


async def test_same_story_in_two_feeds_is_one_brief_with_two_sources() -> None:
    pipeline, storage, source, _ = await _setup()
    clock = FixedClock()
    await storage.subscribe(CHAT, ["a", "b"], clock.now())
    await pipeline.poll_due(clock.now())  # prime both (empty)
    story = make_story(7)
    source.items[A.url] = [story]
    source.items[B.url] = [story]
    clock.advance(601)
    report = await pipeline.poll_due(clock.now())
    assert report.new_briefs == 2  # recorded in both feeds...
    rows = await pending_deliveries(storage, CHAT)
    assert len(rows) == 1  # ...but queued once for the chat that follows both
    brief = rows[0].brief
    assert {brief.source, *brief.also_sources} == {"Alpha News", "Beta Times"}


async def test_alert_reaches_chat_not_subscribed() -> None:
    pipeline, storage, source, _ = await _setup()
    clock = FixedClock()
    watcher = ChatRef(Platform.CONSOLE, "watcher")
    await storage.add_alert(watcher, "kursk -football", clock.now())
    await pipeline.poll_due(clock.now())
    source.items[A.url] = [make_story(1), make_story(2, title="Football in Kursk")]
    clock.advance(601)
    await pipeline.poll_due(clock.now())
    rows = await pending_deliveries(storage, watcher)
    assert [(d.brief.link, d.alert_terms) for d in rows] == [("https://news.example/1", ("kursk",))]


async def test_an_unexpected_error_in_one_feed_does_not_stop_the_round() -> None:
    pipeline, storage, source, _ = await _setup()
    source.items[A.url] = RuntimeError("bug in a parser")
    source.items[B.url] = [make_story(1)]
    now = FixedClock().now()
    report = await pipeline.poll_due(now)
    assert report.failed == 1
    assert report.errors["a"] == "internal error: RuntimeError: bug in a parser"
    assert report.new_briefs == 1 and (await storage.get_feed_state("b")).primed
    # It counts as the feed's failure: /status shows it and the next poll backs off.
    state = await storage.get_feed_state("a")
    assert state.failures == 1 and state.last_error == report.errors["a"]
    assert state.next_poll_at is not None and state.next_poll_at >= now + timedelta(minutes=20)
    assert [f.id for f, _ in await storage.due_feeds(now + timedelta(minutes=10))] == ["b"]


async def test_stop_finishes_the_feed_under_way_and_polls_no_more() -> None:
    storage = FakeStorage()
    feeds = [Feed(f"f{i}", f"https://f{i}.example/rss", f"F{i}") for i in range(3)]
    await storage.sync_catalogue(feeds)
    source = FakeFeedSource()
    pipeline = Pipeline(
        storage, source, FakeSummarizer(), poll_interval=timedelta(minutes=10), concurrency=1
    )
    fetch = source.fetch

    async def fetch_then_stop(feed: Feed, state: FeedState) -> FetchResult:
        pipeline.stop()  # SIGTERM arrives during the first fetch
        return await fetch(feed, state)

    source.fetch = fetch_then_stop  # type: ignore[method-assign]
    report = await pipeline.poll_due(FixedClock().now())
    assert report.polled == 1 and source.calls == ["f0"]
    assert (await storage.get_feed_state("f0")).primed  # the feed under way was finished


async def test_a_feed_due_moments_after_the_rounds_clock_is_polled_in_that_round() -> None:
    """The scheduler's ticks and the rounds' clocks jitter by milliseconds: a feed due just
    after a round's clock must not wait for the next tick."""
    pipeline, storage, source, _ = await _setup()
    now = FixedClock().now()
    source.items[A.url] = [make_story(1)]
    source.items[B.url] = [make_story(2, "b")]
    await pipeline.poll_due(now)
    assert (await storage.get_feed_state("a")).next_poll_at == now + timedelta(minutes=10)
    jitter = timedelta(milliseconds=3)
    report = await pipeline.poll_due(now + timedelta(minutes=10) - jitter)
    assert report.polled == 2
    # Not much earlier than that, though: a feed is never polled a tenth of its interval early.
    report = await pipeline.poll_due(now + timedelta(minutes=20) - timedelta(minutes=1))
    assert report.polled == 0


async def test_a_stopping_round_releases_the_feeds_it_claimed_but_did_not_poll() -> None:
    storage = FakeStorage()
    await storage.sync_catalogue([A, B])

    class StopsOnFirst(FakeFeedSource):
        async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
            pipeline.stop()
            return await super().fetch(feed, state)

    source = StopsOnFirst(unchanged={A.url, B.url})
    pipeline = Pipeline(
        storage, source, FakeSummarizer(), poll_interval=timedelta(minutes=10), concurrency=1
    )
    now = FixedClock().now()
    report = await pipeline.poll_due(now)
    assert report.polled == 1 and source.calls == ["a"]
    assert storage.leases == {}  # "a" saved, "b" released: due for any worker at once
    assert [f.id for f, _ in await storage.due_feeds(now)] == ["b"]
