"""The counting wrappers of ``bot.metered``: each outcome lands on its own label, failures are
counted and still raised, and the wrapped port's answers pass through unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bot.core.errors import (
    ChatMoved,
    ChatUnavailable,
    DeliveryError,
    FeedParseError,
    FeedUnavailableError,
    HostThrottledError,
    MessageGone,
    RateLimited,
    UnsafeURLError,
)
from bot.core.models import Brief, ChatRef, Feed, FeedState, Platform, Story
from bot.core.ports import Summarised
from bot.metered import MeteredNotifier, MeteredSource, MeteredSummarizer
from bot.metrics import Metrics
from tests.fakes import T0, FakeFeedSource, FakeSummarizer, RecordingNotifier, make_story

FEED = Feed("wire", "https://wire.example/rss", "Wire")
CHAT = ChatRef(Platform.TELEGRAM, "42")
BRIEF = Brief(1, "k", "wire", "T", "S.", "https://news.example/1", "Wire", T0)


def _sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _polls(metrics: Metrics) -> dict[str, float]:
    outcomes = ("ok", "not_modified", "throttled", "unsafe", "parse_error", "unavailable", "error")
    found = {o: _sample(metrics, "newsbrief_polls_total", outcome=o) for o in outcomes}
    return {o: n for o, n in found.items() if n}


async def test_each_poll_outcome_is_counted_once_and_every_poll_is_timed() -> None:
    metrics = Metrics()
    inner = FakeFeedSource()
    source = MeteredSource(inner, metrics)
    inner.items[FEED.url] = [make_story(1, FEED.id)]
    result = await source.fetch(FEED, FeedState(FEED.id))
    assert [s.key for s in result.stories] == ["https://news.example/1"]
    inner.unchanged.add(FEED.url)
    assert (await source.fetch(FEED, FeedState(FEED.id))).not_modified
    inner.unchanged.clear()
    failures: list[Exception] = [
        HostThrottledError("429 from wire.example", retry_after=60.0),
        UnsafeURLError("resolves to a private address"),
        FeedParseError("not a feed"),
        FeedUnavailableError("HTTP 500"),
        RuntimeError("a bug"),
    ]
    for failure in failures:
        inner.items[FEED.url] = failure
        with pytest.raises(type(failure)) as raised:
            await source.fetch(FEED, FeedState(FEED.id))
        assert raised.value is failure  # raised as it was, not wrapped
    assert _polls(metrics) == {
        "ok": 1.0,
        "not_modified": 1.0,
        "throttled": 1.0,
        "unsafe": 1.0,
        "parse_error": 1.0,
        "unavailable": 1.0,
        "error": 1.0,
    }
    assert _sample(metrics, "newsbrief_feed_fetch_seconds_count") == 7.0


async def test_resolve_and_enrich_pass_through_uncounted() -> None:
    metrics = Metrics()
    inner = FakeFeedSource()
    inner.resolvable["https://blog.example/"] = FEED
    source = MeteredSource(inner, metrics)
    assert await source.resolve("https://blog.example/") == FEED
    story = make_story(2, FEED.id)
    assert await source.enrich(story) == story
    assert inner.enriched == [story.key]
    assert _polls(metrics) == {}
    assert _sample(metrics, "newsbrief_feed_fetch_seconds_count") == 0.0


@dataclass
class _BrokenSummarizer:
    calls: int = 0

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        self.calls += 1
        raise RuntimeError("model failed")


async def test_summarised_batches_are_timed_whether_they_succeed_or_not() -> None:
    metrics = Metrics()
    good = MeteredSummarizer(FakeSummarizer(words=3), metrics)
    [made] = await good.summarize([make_story(1, summary="One two three four five.")])
    assert made == Summarised("Story number 1 happened", "One two three")
    broken = MeteredSummarizer(_BrokenSummarizer(), metrics)
    with pytest.raises(RuntimeError, match="model failed"):
        await broken.summarize([make_story(2)])
    assert _sample(metrics, "newsbrief_summarize_seconds_count") == 2.0


@dataclass
class _FailingNotifier(RecordingNotifier):
    """A ``RecordingNotifier`` whose texts fail too, and which has an edit window."""

    edit_window: float = 48 * 3600.0

    async def send_text(self, chat: ChatRef, text: str) -> None:
        self._maybe_fail(chat)
        await super().send_text(chat, text)


def _sends(metrics: Metrics, platform: str = "telegram") -> dict[str, float]:
    outcomes = ("sent", "edited", "rate_limited", "chat_unavailable", "chat_moved", "error")
    found = {
        o: _sample(metrics, "newsbrief_sends_total", platform=platform, outcome=o) for o in outcomes
    }
    return {o: n for o, n in found.items() if n}


async def test_edits_digests_and_texts_are_counted_by_outcome() -> None:
    metrics = Metrics()
    inner = _FailingNotifier(message_ids=True)
    notifier = MeteredNotifier(inner, metrics)
    assert notifier.edit_window == 48 * 3600.0
    moved = ChatRef(Platform.TELEGRAM, "-1009")
    inner.failures[CHAT] = [
        ChatMoved(moved),
        MessageGone("too old to edit"),
        RateLimited(2.0),
        DeliveryError("HTTP 502"),
    ]
    with pytest.raises(ChatMoved) as raised:
        await notifier.edit_brief(CHAT, "m1", BRIEF)
    assert raised.value.new_chat == moved
    with pytest.raises(MessageGone):
        await notifier.edit_brief(CHAT, "m1", BRIEF)
    with pytest.raises(RateLimited):
        await notifier.send_digest(CHAT, "Your 08:00 briefing: 1 story", [BRIEF])
    with pytest.raises(DeliveryError):
        await notifier.send_text(CHAT, "a notice")
    assert await notifier.send_brief(CHAT, BRIEF, alert_terms=("kursk",)) == "m1"
    await notifier.edit_brief(CHAT, "m1", BRIEF)
    await notifier.send_digest(CHAT, "Your 08:00 briefing: 1 story", [BRIEF])
    await notifier.send_text(CHAT, "a notice")
    assert _sends(metrics) == {
        "sent": 3.0,
        "edited": 1.0,
        "rate_limited": 1.0,
        "chat_moved": 1.0,
        "error": 2.0,  # a gone message and a plain delivery error
    }
    assert _sample(metrics, "newsbrief_rate_limited_total", platform="telegram") == 1.0
    kinds = [kind for kind, _, _ in inner.log]
    assert kinds == ["brief", "edit", "digest", "text"]  # only the successes reached it
    assert inner.log[0][2] == (1, ("kursk",))  # the alert terms were passed on


async def test_a_notifier_without_an_edit_window_and_a_blocked_chat() -> None:
    metrics = Metrics()
    inner = RecordingNotifier(platform=Platform.DISCORD)
    inner.failures[CHAT] = [ChatUnavailable("the bot was kicked")]
    notifier = MeteredNotifier(inner, metrics)
    assert notifier.edit_window is None
    with pytest.raises(ChatUnavailable):
        await notifier.send_digest(CHAT, "heading", [BRIEF])
    assert _sends(metrics, "discord") == {"chat_unavailable": 1.0}
    assert _sends(metrics, "telegram") == {}
