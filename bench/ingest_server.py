"""The loopback feed server of ``bench/ingest.py``, run in its own process.

It serves ``/feed/<i>`` for thousands of feeds with a realistic mix, decided by ``i``:

* ``changed``: a real news feed from ``../shared/corpora/news-feeds`` (RSS captures), with
  ``NEW_ITEMS`` fresh items on top in every cycle, a new ``ETag`` each cycle;
* ``failing``: HTTP 500;
* ``slow``: answers after 0.2-1.5 s (then like the rest);
* everything else: 304 when the client sends the current ``ETag``, else 200 with a small feed.

``POST /_control?cycle=N&all304=0|1`` moves to cycle ``N``; ``all304=1`` makes every feed
answer 304 (the baseline). ``GET /_stats`` returns the answers given per status.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

NEW_ITEMS = 2
_ITEM = re.compile(rb"<item[\s>].*?</item>", re.DOTALL)
_DROP = re.compile(rb"<(guid|link|feedburner:origLink)[^>]*>.*?</\1>", re.DOTALL)


@dataclass(frozen=True)
class Mix:
    """Shares of each kind of feed (the rest answer 304)."""

    changed: float = 0.10
    failing: float = 0.04
    slow: float = 0.03

    def kind(self, i: int) -> str:
        bucket = (i * 7919) % 1000 / 1000  # spread kinds over the id range
        if bucket < self.changed:
            return "changed"
        if bucket < self.changed + self.failing:
            return "failing"
        if bucket < self.changed + self.failing + self.slow:
            return "slow"
        return "quiet"


@dataclass
class Corpus:
    """RSS captures split into head, items and tail, to add fresh items per cycle."""

    docs: list[tuple[bytes, bytes, bytes]] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path) -> Corpus:
        corpus = cls()
        for path in sorted(folder.glob("*.xml")):
            data = path.read_bytes()
            items = list(_ITEM.finditer(data))
            if not items:
                continue  # Atom documents: left out of the changing mix
            start, end = items[0].start(), items[-1].end()
            corpus.docs.append((data[:start], data[start:end], data[end:]))
        return corpus

    def body(self, i: int, cycle: int) -> bytes:
        head, items, tail = self.docs[i % len(self.docs)]
        first = _ITEM.search(items)
        assert first is not None
        template = _DROP.sub(b"", first.group(0))
        fresh = []
        for k in range(1, cycle + 1):
            for j in range(NEW_ITEMS):
                ident = f"https://bench.test/{i}/{k}/{j}".encode()
                extra = b"<link>" + ident + b"</link><guid>" + ident + b"</guid>"
                fresh.append(template.replace(b"</item>", extra + b"</item>", 1))
        return head + b"".join(reversed(fresh)) + items + tail


QUIET = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Quiet</title>'
    b"<link>https://quiet.test/</link><item><title>Old news</title>"
    b"<link>https://quiet.test/old</link><guid>old</guid></item></channel></rss>"
)


class FeedFarm:
    def __init__(self, corpus: Corpus, mix: Mix) -> None:
        self.corpus = corpus
        self.mix = mix
        self.cycle = 0
        self.all304 = False
        self.stats: Counter[str] = Counter()
        self.rng = random.Random(5)

    async def feed(self, request: web.Request) -> web.StreamResponse:
        i = int(request.match_info["i"])
        kind = self.mix.kind(i)
        sent = request.headers.get("If-None-Match")
        if self.all304:
            return self._answer(web.Response(status=304), "304")
        if kind == "failing":
            return self._answer(web.Response(status=500, text="boom"), "500")
        if kind == "slow":
            await asyncio.sleep(self.rng.uniform(0.2, 1.5))
        if kind == "changed":
            etag = f'"{i}-{self.cycle}"'
            if sent == etag:
                return self._answer(web.Response(status=304, headers={"ETag": etag}), "304")
            body = self.corpus.body(i, self.cycle)
            return self._answer(self._xml(body, etag), "200")
        etag = f'"{i}-0"'
        if sent == etag:
            return self._answer(web.Response(status=304, headers={"ETag": etag}), "304")
        return self._answer(self._xml(QUIET, etag), "200")

    @staticmethod
    def _xml(body: bytes, etag: str) -> web.Response:
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    def _answer(self, response: web.Response, label: str) -> web.Response:
        self.stats[label] += 1
        return response

    async def control(self, request: web.Request) -> web.Response:
        self.cycle = int(request.query.get("cycle", self.cycle))
        self.all304 = request.query.get("all304", "0") == "1"
        self.stats.clear()
        return web.Response(text="ok")

    async def stats_view(self, request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(self.stats))


def serve(corpus_dir: str, mix: Mix, port_out: object) -> None:
    """Process entry point: serve until killed; send the port through ``port_out`` (a Pipe)."""

    async def main() -> None:
        farm = FeedFarm(Corpus.load(Path(corpus_dir)), mix)
        app = web.Application()
        app.router.add_get("/feed/{i}", farm.feed)
        app.router.add_post("/_control", farm.control)
        app.router.add_get("/_stats", farm.stats_view)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        port_out.send(site._server.sockets[0].getsockname()[1])  # type: ignore[attr-defined, union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())
