"""``HttpFeedSource``: the ``FeedSource`` port over ``fetch`` and ``parse``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.core.errors import FeedParseError
from bot.core.models import Feed, FeedState, Story
from bot.core.ports import FetchResult
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import parse_feed


def slug(text: str) -> str:
    """A feed id made from a host or title: ``www.bbc.co.uk`` -> ``bbc-co-uk``."""
    text = re.sub(r"^www\.", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48] or "feed"


class HttpFeedSource:
    """Fetches with a shared ``Fetcher`` and parses in a worker thread."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        resp = await self._fetcher.get(feed.url, etag=state.etag, last_modified=state.last_modified)
        if resp.body is None:
            return FetchResult(not_modified=True, moved_to=resp.permanent_redirect)
        parsed = await parse_feed(feed.id, resp.body, resp.headers, resp.url, datetime.now(UTC))
        return FetchResult(
            not_modified=False,
            stories=parsed.stories,
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            moved_to=resp.permanent_redirect,
            feed_title=parsed.title or None,
            min_interval_seconds=parsed.ttl_seconds,
        )

    async def resolve(self, url: str) -> Feed:
        resp = await self._fetcher.get(url)
        if resp.body is None:
            raise FeedParseError(f"{url} answered with no content")
        parsed = await parse_feed("new", resp.body, resp.headers, resp.url, datetime.now(UTC))
        if not parsed.stories and not parsed.title:
            raise FeedParseError("it is not an RSS or Atom feed")
        host = urlsplit(resp.url).hostname or "feed"
        return Feed(
            id=slug(host),
            url=resp.url,
            title=parsed.title or host,
            trusted=False,
        )

    async def enrich(self, story: Story) -> Story:
        return story
