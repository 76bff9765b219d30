"""Small pure helpers that turn feed fields into clean values: links, text, lead images.

* ``canonical_link``: the link as a story identity: http(s) only, scheme and host in lower
  case, default port, fragment and tracking parameters (``utm_*``, BBC's ``at_*``, ``fbclid``
  ...) removed.
* ``first_image``: the first real ``<img>`` of some HTML (a relative ``src`` resolved against
  the content's base), skipping tracking pixels (1x1, or FeedBurner's ``~r``/``~ff`` images)
  and ``data:`` URIs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "at_", "mc_", "pk_", "mtm_", "ns_", "_hs")
_TRACKING_KEYS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "twclid", "ocid",
        "cmpid", "cmp", "xtor", "ito", "smid", "emc", "partner", "_ga", "wt_mc", "wt.mc_id",
        "src_trk", "ref_src", "feedtype", "feedname",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKER_HINTS = ("/~r/", "/~ff/", "feeds.feedburner.com", "doubleclick", "pixel", "beacon")


def canonical_link(url: str) -> str:
    """The link without tracking parameters and fragment; "" for non-http(s) links."""
    text = (url or "").strip()
    if not text:
        return ""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def word_count(text: str) -> int:
    """Words in plain text (runs of letters or digits)."""
    return len(re.findall(r"\w+", text))


class _Images(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: str = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img" or self.found:
            return
        attr = {k.lower(): (v or "") for k, v in attrs}
        src = attr.get("src", "").strip()
        if src and self.base and not src.lower().startswith("data:"):
            src = urljoin(self.base, src)
        if is_real_image(src, attr.get("width", ""), attr.get("height", "")):
            self.found = src


def is_real_image(src: str, width: str | int = "", height: str | int = "") -> bool:
    """False for tracking pixels, spacers, ``data:`` URIs and non-http(s) sources."""
    if not src.lower().startswith(("http://", "https://")):
        return False
    if any(hint in src.lower() for hint in _TRACKER_HINTS):
        return False
    for size in (width, height):
        digits = re.match(r"\s*(\d+)", str(size))
        if digits and int(digits.group(1)) <= 2:
            return False
    return True


def first_image(html: str, base: str = "") -> str:
    """The ``src`` of the first real ``<img>`` in ``html`` (resolved against ``base``), or ""."""
    if not html or "<img" not in html.lower():
        return ""
    parser = _Images(base)
    parser.feed(html)
    parser.close()
    return parser.found
