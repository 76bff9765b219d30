"""Helpers of the delivery tests: a time machine (wall clock, monotonic clock and a sleep that
only advances them) and story/brief factories; the recording notifier is ``tests.fakes``'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.core.models import Brief, ChatRef, Feed, FeedState, Platform, Story
from bot.core.ports import FetchResult, Summarised
from bot.storage import SqlStorage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class TimeMachine:
    """A fixed clock that moves only when told to (or when the code under test sleeps)."""

    def __init__(self, start: datetime = T0) -> None:
        self.wall = start
        self.mono = 1000.0
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def chat(n: int, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef(platform, f"c{n}")


def story(feed_id: str, n: int, *, when: datetime = T0, title: str = "", link: str = "") -> Story:
    link = link or f"https://news.example/{feed_id}/{n}"
    return Story(
        feed_id=feed_id,
        key=link,
        guid=link,
        link=link,
        title=title or f"Story {n} of {feed_id}",
        published=when,
        summary=f"Summary of story {n}.",
    )


async def add_briefs(
    storage: SqlStorage, feed_id: str, count: int, now: datetime, *, start: int = 0
) -> list[Brief]:
    """Store ``count`` new briefs of one feed, queued for its subscribers."""
    made = []
    for n in range(start, start + count):
        s = story(feed_id, n, when=now - timedelta(minutes=count - n))
        made.append(
            await storage.record_story(s, Summarised(s.title, s.summary), now, deliver=True)
        )
    return made


class ScriptedSource:
    """FeedSource fake: each poll of a feed returns the next list of stories scripted for it."""

    def __init__(self, script: dict[str, list[list[Story]]]) -> None:
        self._script = script

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        rounds = self._script.get(feed.id) or [[]]
        stories = rounds.pop(0) if len(rounds) > 1 else rounds[0]
        return FetchResult(not_modified=False, stories=tuple(stories))

    async def resolve(self, url: str) -> Feed:
        raise NotImplementedError

    async def enrich(self, story: Story) -> Story:
        return story


class EchoSummarizer:
    """Summarizer fake: the feed's own title and summary."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        self.seen += [s.key for s in stories]
        return [Summarised(s.title, s.summary) for s in stories]
