"""A loopback HTTP server that serves one RSS feed whose items a test can change."""

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
