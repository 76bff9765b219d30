"""HTTP fetching of feeds and article pages: one shared ``httpx.AsyncClient``, used politely.

* **Client** (``make_client``): connect and read timeouts, a descriptive User-Agent, gzip, no
  cookies ever stored (a jar whose policy refuses every cookie), no proxy from the environment,
  and the SSRF-aware ``GuardedTransport``.
* **Redirects** are followed here, hop by hop (at most ``max_redirects``), so that every hop is
  vetted (``guard.check_url`` for untrusted requests), goes through its host's politeness gate,
  and so that a chain of permanent redirects (301/308) can be reported (``Response.moved_to``).
* **Conditional GET**: ``ETag``/``Last-Modified`` are sent back verbatim; a 304 has no body.
* **Politeness** (``hosts.HostGate``): a concurrency limit per host; 429/503 blocks the whole
  host until its ``Retry-After`` (or a back-off) has passed.
* **Limits**: a total deadline per fetch, and a cap on the decompressed body (``body``).

Errors come out as ``FeedUnavailableError``, ``HostThrottledError`` or ``UnsafeURLError``.
``file://`` URLs are read from disk for trusted (operator) feeds only.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from bot.core.errors import FeedUnavailableError, HostThrottledError, UnsafeURLError
from bot.core.ports import Clock
from bot.feeds.body import CappedDecoder
from bot.feeds.guard import Network, check_url, parse_ip
from bot.feeds.headers import retry_after_seconds
from bot.feeds.hosts import HostGate
from bot.feeds.transport import TRUSTED, GuardedTransport, Resolver

logger = logging.getLogger(__name__)

USER_AGENT = "newsbrief/0.1 (+https://github.com/newsbrief/newsbrief; self-hosted news bot)"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, text/html;q=0.5, */*;q=0.1"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.2"
_REDIRECTS = (301, 302, 303, 307, 308)
_PERMANENT = (301, 308)


@dataclass(frozen=True)
class Response:
    """A fetched resource: ``body`` is None for 304 Not Modified.

    ``headers`` have lower-case names. ``moved_to`` is the URL reached through the leading
    permanent redirects (301/308) of the chain, when there were any.
    """

    status: int
    url: str
    body: bytes | None
    headers: Mapping[str, str] = field(default_factory=dict)
    moved_to: str | None = None


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """A cookie policy that neither stores nor returns any cookie."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return False


def host_problem(host: str) -> str | None:
    """Why ``host`` cannot be looked up or connected to, or None when it can.

    httpx encodes a non-ASCII (or ``xn--``) host with IDNA 2008 and the resolver encodes the
    name with Python's IDNA codec; either raises ``UnicodeError`` on, e.g., an A-label that
    ends with a hyphen (``xn--a-``) or a label over 63 characters. Checked before any request,
    so one such link in a feed is one clear per-entry outcome instead of an exception.
    """
    if parse_ip(host) is not None:
        return None
    try:
        _ = httpx.URL(scheme="http", host=host).host  # httpx's IDNA 2008 encode and decode
        name = host.rstrip(".").encode("idna")  # the codec getaddrinfo applies
    except (httpx.InvalidURL, ValueError) as exc:
        return f"{host[:80]!r} is not a valid host name ({exc})"
    if len(name) > 253 or any(len(label) > 63 for label in name.split(b".")):
        return f"{host[:80]!r} is not a valid host name (too long)"
    return None


def make_client(
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    user_agent: str = USER_AGENT,
    resolver: Resolver | None = None,
    allowed: Sequence[Network] = (),
    guard: bool = True,
    limits: httpx.Limits | None = None,
) -> httpx.AsyncClient:
    """The process-wide client (see the module docstring); close it with ``aclose()``."""
    return httpx.AsyncClient(
        transport=GuardedTransport(resolver, allowed=allowed, guard=guard, limits=limits),
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        cookies=http.cookiejar.CookieJar(policy=_NoCookies()),  # a jar is used as is
        trust_env=False,
    )


class Fetcher:
    """GETs feeds and pages with the shared client, politely and within limits."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        gate: HostGate,
        clock: Clock,
        *,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        total_timeout: float = 60.0,
        allowed: Sequence[Network] = (),
        guard: bool = True,
    ) -> None:
        self._client = client
        self._gate = gate
        self._clock = clock
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._total_timeout = total_timeout
        self._allowed = tuple(allowed)
        self._guard = guard

    @property
    def gate(self) -> HostGate:
        """The per-host politeness state (shared by feeds and articles)."""
        return self._gate

    async def aclose(self) -> None:
        """Close the shared client and its connections."""
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        trusted: bool,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> Response:
        """GET ``url``, conditionally when ``etag``/``last_modified`` are given.

        Raises:
            UnsafeURLError: an untrusted URL (or a redirect hop) points somewhere refused.
            HostThrottledError: the host asked us to wait (now or earlier).
            FeedUnavailableError: network error, timeout, HTTP error status, body too large.
        """
        trusted = trusted or not self._guard
        if url.startswith("file://"):
            if not trusted:
                raise UnsafeURLError("only http:// and https:// addresses can be used")
            return await self._file(url)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._total_timeout):
                return await self._follow(url, headers, trusted)
        except TimeoutError as exc:
            raise FeedUnavailableError(
                f"no complete answer within {self._total_timeout:g} s"
            ) from exc

    async def _follow(self, url: str, headers: dict[str, str], trusted: bool) -> Response:
        moved_to: str | None = None
        permanent = True
        for _ in range(self._max_redirects + 1):
            host = self._vet(url, trusted)
            async with self._gate.slot(host):
                response = await self._send(url, headers, trusted)
                try:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in _REDIRECTS and location:
                        url = urljoin(url, location.strip())
                        permanent = permanent and status in _PERMANENT
                        moved_to = url if permanent else moved_to
                        continue
                    return await self._finish(response, host, url, moved_to)
                finally:
                    await response.aclose()
        raise FeedUnavailableError(f"more than {self._max_redirects} redirects")

    def _vet(self, url: str, trusted: bool) -> str:
        if not trusted:
            host = check_url(url, self._allowed).hostname or ""
        else:
            try:
                parts = urlsplit(url)
            except ValueError as exc:  # e.g. "Invalid IPv6 URL"
                raise FeedUnavailableError(f"cannot fetch {url!r}: {exc}") from exc
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise FeedUnavailableError(f"cannot fetch {url!r}: not an http(s) URL")
            host = parts.hostname
        problem = host_problem(host)
        if problem:
            if trusted:
                raise FeedUnavailableError(f"cannot fetch {url!r}: {problem}")
            raise UnsafeURLError(problem)
        return host

    async def _send(self, url: str, headers: dict[str, str], trusted: bool) -> httpx.Response:
        try:
            request = self._client.build_request(
                "GET", url, headers=headers, extensions={TRUSTED: trusted}
            )
            return await self._client.send(request, stream=True)
        except (httpx.InvalidURL, ValueError) as exc:  # ValueError: UnicodeError, IDNAError
            if trusted:
                raise FeedUnavailableError(f"cannot fetch {url!r}: {exc}") from exc
            raise UnsafeURLError("it is not a valid web address") from exc
        except httpx.TimeoutException as exc:
            raise FeedUnavailableError(f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FeedUnavailableError(f"cannot connect: {exc}") from exc

    async def _finish(
        self, response: httpx.Response, host: str, url: str, moved_to: str | None
    ) -> Response:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status in (429, 503):
            after = retry_after_seconds(headers.get("retry-after"), self._clock.now())
            wait = self._gate.throttled(host, after)
            raise HostThrottledError(f"HTTP {status} from {host}", retry_after=wait)
        if status == 304:
            self._gate.succeeded(host)
            return Response(304, url, None, headers, moved_to)
        if not 200 <= status < 300:
            raise FeedUnavailableError(f"HTTP {status} from {host}")
        body = await self._read(response, headers)
        self._gate.succeeded(host)
        return Response(status, url, body, headers, moved_to)

    async def _read(self, response: httpx.Response, headers: Mapping[str, str]) -> bytes:
        decoder = CappedDecoder(headers.get("content-encoding", ""), self._max_bytes)
        length = headers.get("content-length", "")
        plain = not headers.get("content-encoding")
        if plain and length.isdigit() and int(length) > self._max_bytes:
            raise FeedUnavailableError(f"the response is larger than {self._max_bytes} bytes")
        chunks: list[bytes] = []
        try:
            async for raw in response.aiter_raw():
                chunks.append(decoder.feed(raw))
        except httpx.TimeoutException as exc:
            raise FeedUnavailableError("timed out while reading the response") from exc
        except httpx.HTTPError as exc:
            raise FeedUnavailableError(f"the response broke off: {exc}") from exc
        chunks.append(decoder.finish())
        return b"".join(chunks)

    async def _file(self, url: str) -> Response:
        path = Path(unquote(urlsplit(url).path))
        try:
            body = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise FeedUnavailableError(f"cannot read {path}: {exc.strerror}") from exc
        if len(body) > self._max_bytes:
            raise FeedUnavailableError(f"{path} is larger than {self._max_bytes} bytes")
        return Response(200, url, body, {})
