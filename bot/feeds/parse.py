"""Parsing feed bytes into ``Story`` values. The only module that imports feedparser.

feedparser always gets bytes (``io.BytesIO``), never a URL, together with the response headers
and the final URL as ``content-location`` so that charsets and relative links resolve. It runs
in a worker thread (``parse_feed``) because it is CPU-bound pure Python (tens of ms per feed).
``bozo`` is only a warning, unless the document yields no entries.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.core.errors import FeedParseError
from bot.core.models import Story

logger = logging.getLogger(__name__)

_TRACKING_PREFIXES = ("utm_", "at_", "mc_")
_TRACKING_KEYS = {"fbclid", "gclid", "ocid", "cmpid", "ns_mchannel", "ns_source", "ns_campaign"}


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed document: its title, entries as stories, and polling hints."""

    title: str
    stories: tuple[Story, ...]
    ttl_seconds: int | None = None


def canonical_link(url: str) -> str:
    """The link without tracking parameters (``utm_*`` and friends) and without a fragment."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS
    ]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _plain(html: str) -> str:
    from html.parser import HTMLParser

    chunks: list[str] = []

    class _Text(HTMLParser):
        def handle_data(self, data: str) -> None:
            chunks.append(data)

    parser = _Text(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(chunks).split())


def _image(entry: Mapping[str, Any]) -> str:
    for key in ("media_thumbnail", "media_content"):
        for item in entry.get(key) or []:
            url = item.get("url", "")
            medium = item.get("medium", "image")
            if url and (medium == "image" or key == "media_thumbnail"):
                return str(url)
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return str(link.get("href", ""))
    return ""


def entry_to_story(feed_id: str, entry: Mapping[str, Any], first_seen: datetime) -> Story:
    """Convert one feedparser entry; raises ``ValueError`` for an entry with no title or link."""
    link = canonical_link(str(entry.get("feedburner_origlink") or entry.get("link") or ""))
    guid = str(entry.get("id") or "")
    title = _plain(str(entry.get("title") or ""))
    if not title and not link:
        raise ValueError("entry has neither title nor link")
    summary_html = str(entry.get("summary") or "")
    content = entry.get("content") or []
    content_html = str(content[0].get("value", "")) if content else ""
    key = link or guid or "t:" + hashlib.sha1(title.encode()).hexdigest()
    return Story(
        feed_id=feed_id,
        key=key,
        guid=guid,
        link=link,
        title=title or link,
        published=_time(entry) or first_seen,
        summary=_plain(summary_html),
        content_html=content_html,
        author=str(entry.get("author") or ""),
        image_url=_image(entry),
    )


def parse_bytes(
    feed_id: str, body: bytes, headers: Mapping[str, str], url: str, now: datetime
) -> ParsedFeed:
    """Parse a feed document synchronously (call ``parse_feed`` from async code)."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    response_headers["content-location"] = url
    doc = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    entries = doc.get("entries") or []
    if not entries and doc.get("bozo") and not doc.get("feed"):
        reason = doc.get("bozo_exception")
        raise FeedParseError(f"not a feed ({reason})" if reason else "not a feed")
    if doc.get("bozo"):
        logger.debug("feed %s is not well-formed: %s", feed_id, doc.get("bozo_exception"))
    stories = []
    for entry in entries:
        try:
            stories.append(entry_to_story(feed_id, entry, now))
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            logger.warning("feed %s: skipped an entry: %s", feed_id, exc)
    feed_info = doc.get("feed") or {}
    ttl = feed_info.get("ttl")
    ttl_seconds = int(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    return ParsedFeed(str(feed_info.get("title") or ""), tuple(stories), ttl_seconds)


async def parse_feed(
    feed_id: str, body: bytes, headers: Mapping[str, str], url: str, now: datetime
) -> ParsedFeed:
    """Parse off the event loop."""
    return await asyncio.to_thread(parse_bytes, feed_id, body, headers, url, now)
