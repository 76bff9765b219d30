"""Feed discovery: the feeds a web page advertises with ``<link rel="alternate">``.

When someone types a site's address instead of its feed's, the page usually names its feeds
in its ``<head>``: ``<link rel="alternate" type="application/rss+xml" href="/feed">``. RSS,
Atom and RDF types are accepted (JSON Feed is not: feedparser cannot read it).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip


def looks_like_html(body: bytes, content_type: str) -> bool:
    """True for a web page (by ``Content-Type`` or by its first bytes), not a feed."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    return bool(_HTML_START.match(body[:2048].lstrip(b"\xef\xbb\xbf")))


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        attr = {k.lower(): (v or "").strip() for k, v in attrs}
        rels = attr.get("rel", "").lower().split()
        kind = attr.get("type", "").lower().split(";", 1)[0].strip()
        if "alternate" in rels and kind in FEED_TYPES and attr.get("href"):
            self.found.append((attr["href"], attr.get("title", "")))


def feed_links(html: str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds ``html`` advertises, in page order, without duplicates."""
    parser = _Links()
    parser.feed(html)
    parser.close()
    urls = (urljoin(base_url, href) for href, _title in parser.found)
    return [u for u in dict.fromkeys(urls) if u.lower().startswith(("http://", "https://"))]
