"""Loopback HTTP servers: one RSS feed whose items a test can change (``server``), and any
number of small feeds (``many_feeds``, for imports of feed lists)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web


def rss(items: list[int]) -> bytes:
    entries = "".join(
        f"<item><title>Story {n}: troops cross into Kursk</title>"
        f"<link>https://news.example/story-{n}?utm_source=rss</link><guid>id-{n}</guid>"
        f"<pubDate>Tue, 24 Nov 2026 {10 + n % 10:02d}:00:00 GMT</pubDate>"
        f"<description>Officials said story {n} unfolded near Sudzha on Tuesday.</description>"
        "</item>"
        for n in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Loopback News</title><link>https://news.example/</link>{entries}"
        "</channel></rss>"
    ).encode()


@dataclass
class FeedServer:
    items: list[int] = field(default_factory=lambda: [1, 2])
    requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    polled: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        self.polled.set()
        etag = f'"v{len(self.items)}-{self.items[-1]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        return web.Response(
            body=rss(self.items), content_type="application/rss+xml", headers={"ETag": etag}
        )


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    feed = FeedServer()
    app = web.Application()
    app.router.add_get("/feed.xml", feed.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    feed.url = f"http://127.0.0.1:{port}/feed.xml"
    yield feed
    await runner.cleanup()


@dataclass
class ManyFeeds:
    """A loopback server with any number of feeds: ``/f/<n>.xml`` is "Loop <n>"."""

    base: str = ""
    served: list[str] = field(default_factory=list)

    def url(self, n: int) -> str:
        return f"{self.base}/f/{n}.xml"

    async def handle(self, request: web.Request) -> web.Response:
        n = request.match_info["n"]
        self.served.append(n)
        body = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop {n}</title>'
            f"<link>https://loop.example/{n}</link></channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml")


@pytest.fixture
async def many_feeds() -> AsyncIterator[ManyFeeds]:
    server = ManyFeeds()
    app = web.Application()
    app.router.add_get("/f/{n}.xml", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base = f"http://127.0.0.1:{port}"
    yield server
    await runner.cleanup()


def opml(*urls: str) -> bytes:
    """An OPML 2.0 list of ``urls`` in one folder, "Tech"."""
    body = "".join(
        f'<outline type="rss" text="List {i}" xmlUrl="{u}"/>' for i, u in enumerate(urls)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><head/><body>'
    return f'{head}<outline text="Tech">{body}</outline></body></opml>'.encode()


BOMB = (  # billion laughs: entities that expand to a thousand "lol"s, and more if deeper
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<opml><body><outline text='&lol3;' xmlUrl='http://127.0.0.1:9/x'/></body></opml>"
)
