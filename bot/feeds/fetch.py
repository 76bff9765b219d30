"""HTTP fetching for feeds and articles: one shared ``httpx.AsyncClient``, conditional GET,
timeouts and a size cap counted on the decompressed stream.

``file://`` URLs (trusted operator feeds only) are read from disk in a thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from bot.core.errors import FeedUnavailableError, HostThrottledError

USER_AGENT = "newsbrief/0.1 (+https://github.com/newsbrief/newsbrief; self-hosted news bot)"


@dataclass(frozen=True)
class Response:
    """A fetched body (``None`` for 304) with what the caller needs to remember."""

    status: int
    url: str
    body: bytes | None
    headers: dict[str, str]
    permanent_redirect: str | None = None


def make_client(timeout: float) -> httpx.AsyncClient:
    """The process-wide client: timeouts, gzip, no cookies kept, redirects followed (max 5)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        cookies=None,
    )


class Fetcher:
    """GETs URLs politely with a shared client."""

    def __init__(self, client: httpx.AsyncClient, *, max_bytes: int) -> None:
        self._client = client
        self._max_bytes = max_bytes

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> Response:
        """GET ``url`` (conditionally); raise ``FeedUnavailableError`` or ``HostThrottledError``."""
        if url.startswith("file://"):
            return await self._file(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        self._client.cookies.clear()
        try:
            async with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in (429, 503):
                    retry = _retry_after(resp.headers.get("Retry-After"))
                    raise HostThrottledError(f"HTTP {resp.status_code} from {url}", retry)
                if resp.status_code == 304:
                    return Response(304, str(resp.url), None, dict(resp.headers), _moved(resp))
                if resp.status_code >= 400:
                    raise FeedUnavailableError(f"HTTP {resp.status_code} from {url}")
                chunks, size = [], 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise FeedUnavailableError(
                            f"{url} is larger than {self._max_bytes} bytes; not read"
                        )
                    chunks.append(chunk)
                body = b"".join(chunks)
                return Response(
                    resp.status_code, str(resp.url), body, dict(resp.headers), _moved(resp)
                )
        except httpx.TimeoutException as exc:
            raise FeedUnavailableError(f"timed out fetching {url}") from exc
        except httpx.HTTPError as exc:
            raise FeedUnavailableError(f"cannot fetch {url}: {exc}") from exc

    async def _file(self, url: str) -> Response:
        path = Path(unquote(urlsplit(url).path))
        try:
            body = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise FeedUnavailableError(f"cannot read {path}: {exc.strerror}") from exc
        if len(body) > self._max_bytes:
            raise FeedUnavailableError(f"{path} is larger than {self._max_bytes} bytes")
        return Response(200, url, body, {})


def _moved(resp: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent (301/308)."""
    if resp.history and all(r.status_code in (301, 308) for r in resp.history):
        return str(resp.url)
    return None


def _retry_after(value: str | None) -> float:
    if value and value.strip().isdigit():
        return float(value.strip())
    return 60.0
