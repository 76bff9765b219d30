"""Builders shared by the feed tests: RSS documents, a trivial summariser, a wired pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from xml.sax.saxutils import escape

from bot.core.models import ChatRef, Story
from bot.core.pipeline import Pipeline
from bot.core.ports import FeedSource, Storage, Summarised


@dataclass(frozen=True)
class Item:
    title: str
    link: str = ""
    guid: str = ""
    date: str = "Sun, 01 Mar 2026 10:00:00 GMT"
    summary: str = ""


def rss(items: Sequence[Item], *, title: str = "Test feed", extra: str = "") -> bytes:
    """An RSS 2.0 document with these items, in this order."""
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>']
    parts.append(f"<title>{escape(title)}</title><link>https://news.test/</link>{extra}")
    for it in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(it.title)}</title>")
        if it.link:
            parts.append(f"<link>{escape(it.link)}</link>")
        if it.guid:
            parts.append(f'<guid isPermaLink="false">{escape(it.guid)}</guid>')
        if it.date:
            parts.append(f"<pubDate>{it.date}</pubDate>")
        if it.summary:
            parts.append(f"<description>{escape(it.summary)}</description>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


class EchoSummarizer:
    """The headline and the first words of the teaser: enough to trace stories."""

    def __init__(self) -> None:
        self.seen: list[Story] = []

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        self.seen.extend(stories)
        return [Summarised(s.title, (s.summary or s.title)[:200]) for s in stories]


@dataclass
class Notices:
    """Records the plain notices the pipeline sends to chats."""

    sent: list[tuple[ChatRef, str]] = field(default_factory=list)

    async def __call__(self, chat: ChatRef, text: str) -> None:
        self.sent.append((chat, text))


def pipeline(
    storage: Storage,
    source: FeedSource,
    *,
    notify: Callable[[ChatRef, str], Awaitable[None]] | None = None,
    max_failures: int = 10,
    summarizer: EchoSummarizer | None = None,
) -> Pipeline:
    return Pipeline(
        storage,
        source,
        summarizer or EchoSummarizer(),
        poll_interval=timedelta(minutes=10),
        max_interval=timedelta(hours=6),
        max_failures=max_failures,
        notify=notify,
    )
