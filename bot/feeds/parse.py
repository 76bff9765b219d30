"""Parsing feed bytes into ``Story`` values. The only module that imports feedparser.

feedparser always gets bytes (``io.BytesIO``), never a URL or a path, together with the
response's ``Content-Type`` and the final URL as ``Content-Location`` so that charsets and
relative links resolve. A response without a ``Content-Type`` is handed over as
``application/xml``: feedparser would otherwise assume ISO-8859-1 for an undeclared document
(RFC 3023) and garble UTF-8; with it, it tries the declared encoding, UTF-8, then
windows-1252. Callers run ``parse_bytes`` in a worker thread: it is CPU-bound pure Python.

feedparser's HTML sanitiser and relative-URI rewriting are switched off: together they are a
third of the parse time, and newsbrief never renders feed HTML. Every HTML field is turned into
plain text here (title, summary) or by the summariser's cleaner (``content_html``), both
of which drop scripts, styles and markup; what reaches a chat is a ``Brief``, which has no HTML
field at all (``tests/feeds/test_parse.py`` follows a hostile feed to the rendered message). Links
and guids are still resolved against ``xml:base`` (feedparser does that regardless), and the
lead image's ``src`` is resolved against its content's base here.

``bozo`` (not well-formed, wrong charset label) is a warning; a document is refused only when
it is not a feed at all (no version and no entries). One bad entry is skipped with a warning;
the rest of the feed goes on.

Each entry becomes a frozen ``Story``:

* ``link``: canonical (FeedBurner ``origLink`` first; tracking parameters and fragment removed);
* ``key``: the canonical link, else ``guid:<feed>:<guid>``, else ``title:<feed>:<hash>`` (a bare
  guid or title is only unique within its feed);
* ``published``: ``published``, else ``updated``, else a lenient parse of localised dates
  (``dates``), else the time first seen; a date more than a day in the future is replaced by
  the time first seen;
* ``title``/``summary``: plain text; ``content_html``: the full content as the
  publisher wrote it (unsanitised: only ever converted to text, never rendered);
* ``image_url``: media:thumbnail, media:content, an image enclosure, the first real ``<img>``.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.core.errors import FeedParseError
from bot.core.models import Story
from bot.core.text import plain_text, title_hash
from bot.feeds.dates import parse_loose_date
from bot.feeds.normalize import canonical_link, first_image, is_real_image

logger = logging.getLogger(__name__)

_MAX_KEY = 2000
_SUMMARY_CHARS = 600
_FUTURE_SLACK = timedelta(days=1)
_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000}
_PERIODS["yearly"] = 31536000
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")

MAX_ENTRIES = 1000
"""Entries read from one document: the first ones (feeds list newest first; real news feeds
carry 10-300). feedparser needs ~0.14 ms and ~1.6 KB per minimal entry and cannot stop early,
so a 10 MB document of 125,000 tiny entries would cost ~18 s of a worker thread holding the
GIL against the event loop, and ~200 MB; the document is cut before feedparser sees it."""
_ENTRY_ENDS = (b"</item>", b"</entry>")


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document.

    ``hint_seconds`` is the shortest re-poll interval the document asks for (``<ttl>`` or
    ``sy:updatePeriod``/``sy:updateFrequency``). ``warning`` is feedparser's bozo reason.
    """

    title: str
    link: str
    stories: tuple[Story, ...]
    hint_seconds: int | None = None
    warning: str | None = None
    version: str = ""
    dropped: int = 0
    """Entries past ``MAX_ENTRIES`` that were not read."""


def _utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _own(entry: Mapping[str, Any], key: str) -> Any:
    """``entry[key]`` without feedparser's aliases (``updated`` quietly falling back to
    ``published`` with a DeprecationWarning)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _published(entry: Mapping[str, Any], first_seen: datetime) -> datetime:
    when = (
        _utc(_own(entry, "published_parsed"))
        or _utc(_own(entry, "updated_parsed"))
        or parse_loose_date(_own(entry, "published"))
        or parse_loose_date(_own(entry, "updated"))
    )
    if when is None or when > first_seen + _FUTURE_SLACK:
        return first_seen
    return when


def _image(entry: Mapping[str, Any], html: str, base: str) -> str:
    """The lead image; relative addresses (feedparser leaves media and enclosure URLs as
    written) are resolved against ``base``."""

    def absolute(url: object) -> str:
        text = str(url or "").strip()
        return urljoin(base, text) if base and text else text

    for item in entry.get("media_thumbnail") or []:
        url = absolute(item.get("url"))
        if is_real_image(url, item.get("width", ""), item.get("height", "")):
            return url
    candidates: list[tuple[int, str]] = []
    for item in entry.get("media_content") or []:
        url = absolute(item.get("url"))
        medium, kind = str(item.get("medium") or ""), str(item.get("type") or "")
        is_image = medium == "image" or kind.startswith("image/")
        if not (medium or kind):  # untyped (e.g. the Guardian's): judge by the file name
            is_image = urlsplit(url).path.lower().endswith(_IMAGE_SUFFIXES)
        if is_image and is_real_image(url, item.get("width", ""), item.get("height", "")):
            width = str(item.get("width") or "")
            candidates.append((int(width) if width.isdigit() else 0, url))
    if candidates:  # the widest; the first of equals
        return max(candidates, key=lambda c: c[0])[1]
    for link in entry.get("links") or []:
        href = absolute(link.get("href"))
        is_image = str(link.get("type", "")).startswith("image/")
        if link.get("rel") == "enclosure" and is_image and is_real_image(href):
            return href
    return first_image(html, base)


def _content(entry: Mapping[str, Any]) -> tuple[str, str]:
    """The fullest (longest) ``content`` value and its base URL; feeds may carry a teaser and
    a full text."""
    values = [
        (str(c.get("value") or ""), str(c.get("base") or "")) for c in entry.get("content") or []
    ]
    return max(values, key=lambda v: len(v[0]), default=("", ""))


def _key(feed_id: str, link: str, guid: str, title: str) -> str:
    if link:
        return link if len(link) <= _MAX_KEY else "url:" + hashlib.sha1(link.encode()).hexdigest()
    if guid:
        key = f"guid:{feed_id}:{guid}"
        return (
            key
            if len(key) <= _MAX_KEY
            else f"guid:{feed_id}:" + hashlib.sha1(guid.encode()).hexdigest()
        )
    return f"title:{feed_id}:{title_hash(title)}"


def entry_to_story(feed_id: str, entry: Mapping[str, Any], first_seen: datetime) -> Story:
    """Convert one feedparser entry; raises ``ValueError`` for an entry with no title or link."""
    link = canonical_link(str(entry.get("feedburner_origlink") or entry.get("link") or ""))
    guid = str(entry.get("id") or "").strip()
    title = plain_text(str(entry.get("title") or ""))
    if not title and not link:
        raise ValueError("entry has neither a title nor a link")
    summary_html = str(entry.get("summary") or "")
    content_html, content_base = _content(entry)
    summary_base = str((entry.get("summary_detail") or {}).get("base") or "")
    summary = plain_text(summary_html) or plain_text(content_html)[:_SUMMARY_CHARS]
    return Story(
        feed_id=feed_id,
        key=_key(feed_id, link, guid, title),
        guid=guid,
        link=link,
        title=title or link,
        published=_published(entry, first_seen),
        summary=summary,
        content_html=content_html,
        image_url=_image(
            entry,
            content_html or summary_html,
            (content_base if content_html else summary_base) or link,
        ),
    )


def _hint(feed: Mapping[str, Any]) -> int | None:
    hints: list[int] = []
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        hints.append(int(ttl) * 60)
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    frequency = str(feed.get("sy_updatefrequency") or "").strip()
    if period in _PERIODS or frequency:
        times = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
        hints.append(_PERIODS.get(period, 86400) // times)
    return max(hints) if hints else None


def cut_entries(body: bytes, limit: int = MAX_ENTRIES) -> tuple[bytes, int]:
    """``body`` with only its first ``limit`` entries, and how many were cut.

    The document is kept whole around them: everything before the ``limit``-th closing
    ``</item>``/``</entry>`` and everything after the last one (the closing tags), so it stays
    well-formed. A document in another byte encoding (UTF-16) or with prefixed entry tags is
    left as it is (the body size cap still bounds it).
    """
    for end_tag in _ENTRY_ENDS:
        total = body.count(end_tag)
        if total <= limit:
            continue
        cut = -1
        for _ in range(limit):
            cut = body.find(end_tag, cut + 1)
        last = body.rfind(end_tag)
        return body[: cut + len(end_tag)] + body[last + len(end_tag) :], total - limit
    return body, 0


def parse_bytes(
    feed_id: str, body: bytes, headers: Mapping[str, str], url: str, now: datetime
) -> ParsedFeed:
    """Parse a feed document (blocking: call it in a worker thread).

    Args:
        feed_id: the id stories are filed under.
        body: the (decompressed) document.
        headers: response headers with lower-case names ({} for a file).
        url: the final URL, for relative links.
        now: the time first seen, for entries without a date.

    Raises:
        FeedParseError: the document is not an RSS/Atom/RDF feed.
    """
    response_headers = {
        "content-type": headers.get("content-type") or "application/xml",
        "content-location": url,
    }
    if headers.get("content-language"):
        response_headers["content-language"] = headers["content-language"]
    body, dropped = cut_entries(body)
    if dropped:
        logger.warning(
            "feed %s has %d entries more than the %d read per poll", feed_id, dropped, MAX_ENTRIES
        )
    try:
        doc = feedparser.parse(
            io.BytesIO(body),
            response_headers=response_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as exc:  # feedparser is not meant to raise; if it does, it is this feed's
        raise FeedParseError(f"the feed cannot be read ({type(exc).__name__}: {exc})") from exc
    entries = doc.get("entries") or []
    version = str(doc.get("version") or "")
    warning = None
    if doc.get("bozo"):
        warning = str(doc.get("bozo_exception") or "not well-formed")
    if not entries and not version:
        raise FeedParseError(f"it is not an RSS or Atom feed ({warning or 'no feed found'})")
    if warning:
        logger.info("feed %s is not well-formed (parsed anyway): %s", feed_id, warning)
    stories: list[Story] = []
    for entry in entries:
        try:
            stories.append(entry_to_story(feed_id, entry, now))
        except Exception as exc:  # one bad entry never costs the feed
            logger.warning("feed %s: skipped an entry: %s: %s", feed_id, type(exc).__name__, exc)
    info = doc.get("feed") or {}
    return ParsedFeed(
        title=plain_text(str(info.get("title") or "")),
        link=str(info.get("link") or ""),
        stories=tuple(stories),
        hint_seconds=_hint(info),
        warning=warning,
        version=version,
        dropped=dropped,
    )
