"""Main-text extraction from article pages with trafilatura (off the event loop)."""

from __future__ import annotations

import asyncio
import logging

import trafilatura

logger = logging.getLogger(__name__)


def extract(html: str, url: str = "") -> tuple[str, str]:
    """Return ``(title, text)`` of an article page; empty strings when nothing is found."""
    text = trafilatura.extract(html, url=url or None, include_comments=False) or ""
    meta = trafilatura.extract_metadata(html, default_url=url or None)
    title = (meta.title if meta is not None and meta.title else "") or ""
    return title, text


async def extract_async(html: str, url: str = "") -> tuple[str, str]:
    """``extract`` in a worker thread."""
    return await asyncio.to_thread(extract, html, url)
