"""Plain words for what went wrong with a feed, and URL comparison for chat commands.

Feed errors are stored as the text the fetcher raised (``cannot connect: [Errno -2] Name or
service not known``, ``HTTP 404 from example.org``); ``readable_reason`` turns them into words
a chat member understands. ``url_key`` lets ``/unsubscribe HTTP://Host/feed/`` find the feed
stored as ``http://host/feed``. Pure functions: no IO.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from bot.core.i18n import N_, _

_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")
_STATUS_WORDS = {
    400: N_("the server refused the request (HTTP 400)"),
    401: N_("the feed needs a login (HTTP 401)"),
    403: N_("the server refuses access (HTTP 403)"),
    404: N_("the feed is not at that address any more (HTTP 404)"),
    410: N_("the feed was removed (HTTP 410)"),
    429: N_("the server asks us to slow down (HTTP 429)"),
}
# (pattern in the raw text, plain words), first match wins.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), words)
    for p, words in (
        (
            r"name or service not known|nodename nor servname|errno -[23]\b|"
            r"temporary failure in name resolution|no address associated|getaddrinfo",
            N_("the server's name could not be found"),
        ),
        (r"connection refused|errno 111\b", N_("the server refused the connection")),
        (r"network is unreachable|no route to host", N_("the server cannot be reached")),
        (r"timed out|timeout", N_("the server did not answer in time")),
        (r"certificate|ssl|tls", N_("the server's secure connection could not be verified")),
        (
            r"connection reset|broke off|server disconnected",
            N_("the server broke off the connection"),
        ),
        (r"larger than", N_("the feed is too large")),
        (r"redirects", N_("the address redirects too many times")),
        (r"corrupt|content-encoding", N_("the server sent a damaged response")),
        (r"not an RSS or Atom feed", N_("the address does not lead to an RSS or Atom feed")),
        (r"feed cannot be read|sent no content", N_("the feed cannot be read")),
    )
)
# Addresses inside the stored text ("cannot fetch 'https://x/ssl-timeout.xml': ...") must not
# decide the reason.
_ADDRESS = re.compile(r"'[^']*'|\bhttps?://\S+|\bfrom \S+$", re.IGNORECASE)


def readable_reason(error: str | None) -> str:
    """Plain words for a stored feed error (in the current language); the raw text when
    nothing better is known."""
    text = (error or "").strip()
    if not text:
        return _("an unknown error")
    bare = _ADDRESS.sub("", text)
    if match := _HTTP_STATUS.search(bare):
        status = int(match.group(1))
        if status in _STATUS_WORDS:
            return _(_STATUS_WORDS[status])
        if status >= 500:
            return _("the server had an error (HTTP {status})", status=status)
        return _("the server answered HTTP {status}", status=status)
    for pattern, words in _PATTERNS:
        if pattern.search(bare):
            return _(words)
    return text


def url_key(url: str) -> str:
    """``url`` in a form where spellings of one address compare equal.

    Scheme and host are lower-cased, a default port and the fragment dropped, and a trailing
    slash of the path ignored (``HTTP://Host:80/feed/`` and ``http://host/feed`` are one).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username or parts.password:
        host = f"{parts.username or ''}:{parts.password or ''}@{host}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, parts.query, ""))
