"""The core's ports, counted: wrappers the composition root puts around the feed source, the
summariser and each platform's notifier when metrics are on (see ``bot.metrics``)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from bot.core.errors import (
    ChatMoved,
    ChatUnavailable,
    FeedParseError,
    FeedUnavailableError,
    HostThrottledError,
    RateLimited,
    UnsafeURLError,
)
from bot.core.models import Brief, ChatRef, Feed, FeedState, Story
from bot.core.ports import FeedSource, FetchResult, Notifier, Pace, Summarised, Summarizer
from bot.metrics import Metrics

_FEED_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (HostThrottledError, "throttled"),
    (UnsafeURLError, "unsafe"),
    (FeedParseError, "parse_error"),
    (FeedUnavailableError, "unavailable"),
)


def _poll_outcome(exc: Exception) -> str:
    for kind, outcome in _FEED_ERRORS:
        if isinstance(exc, kind):
            return outcome
    return "error"


class MeteredSource:
    """Times each feed poll (``newsbrief_feed_fetch_seconds``) and counts it by outcome:
    ``ok`` (200), ``not_modified`` (304 or the same body), ``throttled``, ``unavailable``,
    ``parse_error``, ``unsafe`` or ``error``."""

    def __init__(self, inner: FeedSource, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        started = time.perf_counter()
        try:
            result = await self._inner.fetch(feed, state)
        except Exception as exc:
            self._metrics.polls.labels(outcome=_poll_outcome(exc)).inc()
            raise
        finally:
            self._metrics.fetch_seconds.observe(time.perf_counter() - started)
        outcome = "not_modified" if result.not_modified else "ok"
        self._metrics.polls.labels(outcome=outcome).inc()
        return result

    async def resolve(self, url: str) -> Feed:
        return await self._inner.resolve(url)

    async def enrich(self, story: Story) -> Story:
        return await self._inner.enrich(story)


class MeteredSummarizer:
    """Times each summarised batch (``newsbrief_summarize_seconds``)."""

    def __init__(self, inner: Summarizer, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        started = time.perf_counter()
        try:
            return await self._inner.summarize(stories)
        finally:
            self._metrics.summarize_seconds.observe(time.perf_counter() - started)


class MeteredNotifier:
    """Counts each send by platform and outcome (``sent``, ``rate_limited``,
    ``chat_unavailable``, ``chat_moved``, ``error``) and each 429."""

    def __init__(self, inner: Notifier, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.platform = inner.platform
        self.pace: Pace = inner.pace
        self.edit_window = getattr(inner, "edit_window", None)

    def _count(self, outcome: str) -> None:
        self._metrics.sends.labels(platform=self.platform.value, outcome=outcome).inc()

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, RateLimited):
            self._metrics.rate_limited.labels(platform=self.platform.value).inc()
            self._count("rate_limited")
        elif isinstance(exc, ChatUnavailable):
            self._count("chat_unavailable")
        elif isinstance(exc, ChatMoved):
            self._count("chat_moved")
        else:
            self._count("error")

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> str | None:
        try:
            message = await self._inner.send_brief(chat, brief, alert_terms=alert_terms)
        except Exception as exc:
            self._failed(exc)
            raise
        self._count("sent")
        return message

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        try:
            await self._inner.edit_brief(chat, message_id, brief, alert_terms=alert_terms)
        except Exception as exc:
            self._failed(exc)
            raise
        self._count("edited")

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        try:
            await self._inner.send_digest(chat, heading, briefs)
        except Exception as exc:
            self._failed(exc)
            raise
        self._count("sent")

    async def send_text(self, chat: ChatRef, text: str) -> None:
        try:
            await self._inner.send_text(chat, text)
        except Exception as exc:
            self._failed(exc)
            raise
        self._count("sent")
