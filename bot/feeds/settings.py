"""``FetchSettings``: what the feed source takes from the operator's settings.

Each field is the ``Settings`` field of the same name (``NEWSBRIEF_<NAME>``, see README); the
composition root builds it with ``Settings.part(FetchSettings)``, so ``bot/feeds`` never
imports ``bot.config``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FetchSettings:
    """Timeouts, size limits, politeness and article fetching of the feed source."""

    http_connect_timeout_seconds: float
    http_timeout_seconds: float
    http_total_timeout_seconds: float
    allow_private_urls: bool
    per_host_concurrency: int
    max_feed_bytes: int
    max_redirects: int
    fetch_articles: bool
    article_min_words: int
    max_articles_per_poll: int
    max_articles_per_host: int
