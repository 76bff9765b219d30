"""``HttpFeedSource``: the ``FeedSource`` port over ``fetch``, ``parse`` and ``article``.

* ``fetch(feed, state)``: a conditional GET (304 costs no parse, and neither does a 200 with
  the same bytes as the last body parsed); the body is parsed in a worker thread; the feed's
  own polling hints (``<ttl>``, ``sy:updatePeriod``, ``Cache-Control: max-age``, ``Expires``)
  come back as ``min_interval_seconds``; a permanent redirect as ``moved_to``. Untrusted
  (chat-added) feeds go through the SSRF guard.
* ``resolve(url)``: for a URL typed in chat (untrusted): a feed is fetched once to prove it
  parses; a web page leads to the first feed it advertises (``discover``), or to an error
  saying it has none.
* ``enrich(story)``: the article's main text when the feed gave a teaser (``article``), within
  the poll's article budget (``articles_per_poll`` fetches per poll of a feed, at most
  ``articles_per_host`` of them to one host outside the feed's own site; the budget is renewed
  by each ``fetch`` of the feed). Past the budget, or when fetching or extraction fails for any
  reason, the story keeps the feed's teaser: ``enrich`` never raises. An ``ImportError`` in
  extraction (a broken install) is logged once and switches extraction off until restart.

CPU-bound work (feedparser, trafilatura) runs in worker threads, at most ``cpu_workers`` at a
time: more threads would only fight over the GIL with the event loop that serves the chats.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar
from urllib.parse import urlsplit

from bot.core.errors import FeedError, FeedParseError
from bot.core.models import Feed, FeedState, Story
from bot.core.ports import Clock, FetchResult
from bot.feeds import article
from bot.feeds.discover import feed_links, looks_like_html
from bot.feeds.fetch import Fetcher, Response, make_client
from bot.feeds.guard import Network
from bot.feeds.headers import cache_lifetime
from bot.feeds.hosts import HostGate
from bot.feeds.normalize import word_count
from bot.feeds.parse import ParsedFeed, parse_bytes
from bot.feeds.settings import FetchSettings
from bot.feeds.transport import Resolver

logger = logging.getLogger(__name__)
T = TypeVar("T")


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def slug(text: str) -> str:
    """A feed id made from a host or title: ``www.bbc.co.uk`` -> ``bbc-co-uk``."""
    text = re.sub(r"^www\.", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:48] or "feed"


def site(url: str) -> str:
    """The site a URL belongs to, roughly: its host's last two labels, or three when the
    second-level label is a short public one (``bbc.co.uk``, ``abc.net.au``). A heuristic
    (no public-suffix list): it only decides which article hosts count as foreign."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3 else 2
    return ".".join(labels[-keep:])


class _ArticleBudget:
    """Article fetches one feed's poll may still make: ``total`` in all, and at most
    ``per_host`` to any one host outside the feed's own site (a feed's links may name
    third-party hosts, which must not be flooded on a feed's behalf)."""

    def __init__(self, total: int, per_host: int, feed_url: str) -> None:
        self._left = total
        self._per_host = per_host
        self._home = site(feed_url)
        self._hosts: dict[str, int] = {}

    def take(self, link: str) -> bool:
        """Spend one fetch on ``link``; False when the budget does not allow it."""
        if self._left <= 0:
            return False
        try:
            host = (urlsplit(link).hostname or "").lower()
        except ValueError:
            host = ""
        if site(link) != self._home:
            if self._hosts.get(host, 0) >= self._per_host:
                return False
            self._hosts[host] = self._hosts.get(host, 0) + 1
        self._left -= 1
        return True


class HttpFeedSource:
    """Fetches with a shared ``Fetcher``; parses and extracts in worker threads."""

    def __init__(
        self,
        fetcher: Fetcher,
        clock: Clock,
        *,
        fetch_articles: bool = True,
        article_min_words: int = article.MIN_WORDS,
        cpu_workers: int = 1,
        articles_per_poll: int = 20,
        articles_per_host: int = 5,
    ) -> None:
        self._fetcher = fetcher
        self._clock = clock
        self._articles = fetch_articles
        self._min_words = article_min_words
        self._cpu = asyncio.Semaphore(cpu_workers)
        self._trusted: dict[str, bool] = {}
        """Feed id -> trusted, learnt in ``fetch``: article links of untrusted feeds are vetted."""
        self._per_poll = articles_per_poll
        self._per_host = articles_per_host
        self._budgets: dict[str, _ArticleBudget] = {}
        """Feed id -> article fetches left in its current poll (renewed by ``fetch``)."""
        self._broken: str | None = None
        """Why article extraction cannot work in this process (an ImportError), once known."""
        self._logged: set[str] = set()
        """Unexpected extraction errors already logged with a traceback (once per type)."""

    @property
    def fetcher(self) -> Fetcher:
        """The shared fetcher (the CLI fetches the operator's own URLs with it)."""
        return self._fetcher

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._fetcher.aclose()

    async def _in_thread(self, func: Callable[..., T], *args: object) -> T:
        async with self._cpu:
            return await asyncio.to_thread(func, *args)

    async def _parse(self, feed_id: str, response: Response) -> ParsedFeed:
        assert response.body is not None
        return await self._in_thread(
            parse_bytes, feed_id, response.body, response.headers, response.url, self._clock.now()
        )

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        self._trusted[feed.id] = feed.trusted
        self._budgets[feed.id] = _ArticleBudget(self._per_poll, self._per_host, feed.url)
        response = await self._fetcher.get(
            feed.url, trusted=feed.trusted, etag=state.etag, last_modified=state.last_modified
        )
        header_hint = cache_lifetime(response.headers, self._clock.now())
        digest = None
        if response.body is not None:  # up to NEWSBRIEF_MAX_FEED_BYTES: hashed off the loop
            digest = await asyncio.to_thread(_sha256, response.body)
        if response.body is None or digest == state.content_hash:
            # A 304, or a server that ignores conditional GET and sent the same bytes again.
            return FetchResult(
                not_modified=True,
                moved_to=response.moved_to,
                etag=response.headers.get("etag") or state.etag,
                last_modified=response.headers.get("last-modified") or state.last_modified,
                min_interval_seconds=header_hint,
            )
        parsed = await self._parse(feed.id, response)
        hints = [h for h in (header_hint, parsed.hint_seconds) if h]
        return FetchResult(
            not_modified=False,
            stories=parsed.stories,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            moved_to=response.moved_to,
            min_interval_seconds=max(hints) if hints else None,
            content_hash=digest,
            entries_dropped=parsed.dropped,
        )

    async def resolve(self, url: str) -> Feed:
        requested = url
        response = await self._fetcher.get(url, trusted=False)
        if response.body is None:
            raise FeedParseError("the server sent no content")
        if looks_like_html(response.body, response.headers.get("content-type", "")):
            page = response.body[: 2 * 1024 * 1024].decode("utf-8", "replace")
            links = await self._in_thread(feed_links, page, response.url)  # up to 2 MB of HTML
            if not links:
                raise FeedParseError(
                    "it is a web page that advertises no RSS or Atom feed; "
                    "look for an RSS link on the site and send that address"
                )
            requested = links[0]
            response = await self._fetcher.get(requested, trusted=False)
            if response.body is None:
                raise FeedParseError("the feed the page advertises sent no content")
        parsed = await self._parse("new", response)
        host = urlsplit(response.url).hostname or "feed"
        # The address asked for, unless permanent redirects (301/308) moved it.
        stored = response.moved_to or requested
        return Feed(id=slug(host), url=stored, title=parsed.title or host, trusted=False)

    async def enrich(self, story: Story) -> Story:
        if not self._articles or not article.needs_article(story, self._min_words):
            return story
        if self._broken is not None:  # extraction cannot work in this install: no requests
            return story
        budget = self._budgets.get(story.feed_id)
        if budget is not None and not budget.take(story.link):
            logger.debug("no article fetch for %s: the poll's budget is spent", story.link)
            return story
        trusted = self._trusted.get(story.feed_id, False)
        try:
            page = await article.fetch_page(self._fetcher, story.link, trusted=trusted)
            _title, text = await self._in_thread(article.extract_text, page, story.link)
        except FeedError as exc:
            logger.info("article text of %s not used: %s", story.link, exc)
            return story
        except ImportError as exc:  # e.g. trafilatura's lxml.html.clean missing
            self._broken = f"{type(exc).__name__}: {exc}"
            logger.error(
                "article extraction is off until restart, feeds' own teasers are used: %s "
                "(reinstall newsbrief's dependencies: pip install -e .)",
                self._broken,
            )
            return story
        except Exception as exc:  # a bug in extraction must never cost the story
            kind = type(exc).__name__
            if kind not in self._logged:
                self._logged.add(kind)
                logger.exception("article text of %s failed unexpectedly; teaser kept", story.link)
            else:
                logger.info("article text of %s failed (%s: %s)", story.link, kind, exc)
            return story
        if word_count(text) <= article.story_words(story):
            return story
        return replace(story, content_html=article.text_to_html(text))


def open_feed_source(
    settings: FetchSettings,
    clock: Clock,
    *,
    resolver: Resolver | None = None,
    allowed: tuple[Network, ...] = (),
) -> HttpFeedSource:
    """Build the feed source from its settings (the composition root calls this).

    ``resolver`` and ``allowed`` exist for tests and benchmarks (see ``transport``, ``guard``).
    Close it with ``await source.aclose()``.
    """
    client = make_client(
        connect_timeout=settings.http_connect_timeout_seconds,
        read_timeout=settings.http_timeout_seconds,
        resolver=resolver,
        allowed=allowed,
        guard=not settings.allow_private_urls,
    )
    fetcher = Fetcher(
        client,
        HostGate(clock, per_host=settings.per_host_concurrency),
        clock,
        max_bytes=settings.max_feed_bytes,
        max_redirects=settings.max_redirects,
        total_timeout=settings.http_total_timeout_seconds,
        allowed=allowed,
        guard=not settings.allow_private_urls,
    )
    return HttpFeedSource(
        fetcher,
        clock,
        fetch_articles=settings.fetch_articles,
        article_min_words=settings.article_min_words,
        articles_per_poll=settings.max_articles_per_poll,
        articles_per_host=settings.max_articles_per_host,
    )
