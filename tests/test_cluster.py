"""Three real ``newsbrief run`` workers on one throwaway PostgreSQL (tests/postgres.py), with
a loopback feed server and the fake Bot API: each feed is fetched once per poll interval (by
whichever worker holds its lease), every brief reaches each chat exactly once, exactly one
worker long-polls Telegram at any time, and when that worker is SIGKILLed another takes the
receiver role over and answers a command within 30 s, with no 409 Conflict ever; one worker
at a time is the housekeeper.

"Once per interval" is checked on the feed server's own arrival times: the poll interval is
``INTERVAL`` seconds (and only grows from there), so two fetches of one feed less than half of
it apart would be two workers polling the same due feed; without leases they come
milliseconds apart (every worker's scheduler finds the feed due within its 1 s tick)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import signal
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import _reset_postgres
from tests.run_support import check_alive, newsbrief_run
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN, FakeChat, command

WORKERS = 3
TAKEOVER_SECONDS = 30
INTERVAL = 4
FEEDS = 3


class Feeds:
    """``FEEDS`` RSS feeds at ``/loop-<n>.xml``, each with its own links; records when each
    was fetched. ``items`` is what every feed carries."""

    def __init__(self) -> None:
        self.items = [1, 2]
        self.fetched: dict[str, list[float]] = {f"loop-{n}": [] for n in range(FEEDS)}
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{name}.xml", self._feed)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def catalogue(self, path: Path) -> Path:
        lines = ["feeds:"] + [
            f"  - {{id: {name}, title: Loopback {name}, url: '{self.base}/{name}.xml',"
            " topics: [world]}"
            for name in self.fetched
        ]
        path.write_text("\n".join(lines) + "\n")
        return path

    async def _feed(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.fetched[name].append(time.monotonic())
        etag = f'"{name}-{self.items[-1]}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        entries = "".join(
            f"<item><title>Story {n}: {name} reports</title>"
            f"<link>https://news.example/{name}/{n}</link><guid>{name}-{n}</guid>"
            f"<pubDate>Tue, 24 Nov 2026 1{n}:00:00 GMT</pubDate>"
            f"<description>Officials said story {n} of {name} unfolded.</description></item>"
            for n in self.items
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Loopback {name}</title><link>https://news.example/</link>{entries}"
            "</channel></rss>"
        )
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    def __init__(self, proc: asyncio.subprocess.Process, folder: Path, port: int) -> None:
        self.proc, self.folder, self.port = proc, folder, port

    def check(self) -> None:
        check_alive(self.proc, self.folder)

    async def roles(self) -> dict[str, float]:
        """``newsbrief_worker_role`` by role; empty while the metrics server is not up."""
        try:
            async with httpx.AsyncClient() as http:
                scraped = await http.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5)
        except httpx.HTTPError:
            return {}
        return {
            s.labels["role"]: s.value
            for family in text_string_to_metric_families(scraped.text)
            for s in family.samples
            if s.name == "newsbrief_worker_role"
        }


@contextlib.asynccontextmanager
async def workers(
    tmp_path: Path, feeds: Feeds, database_url: str, api_url: str
) -> AsyncIterator[list[Worker]]:
    catalogue = feeds.catalogue(tmp_path / "feeds.yaml")
    async with contextlib.AsyncExitStack() as stack:
        started = []
        for n in range(WORKERS):
            folder = tmp_path / f"worker-{n}"
            folder.mkdir()
            port = _free_port()
            proc = await stack.enter_async_context(
                newsbrief_run(
                    folder,
                    f"{feeds.base}/loop-0.xml",
                    NEWSBRIEF_FEEDS_FILE=str(catalogue),
                    NEWSBRIEF_POLL_INTERVAL_SECONDS=str(INTERVAL),
                    NEWSBRIEF_DATABASE_URL=database_url,
                    NEWSBRIEF_TELEGRAM_TOKEN=TOKEN,
                    NEWSBRIEF_TELEGRAM_API_URL=api_url,
                    NEWSBRIEF_METRICS_PORT=str(port),
                )
            )
            started.append(Worker(proc, folder, port))
        yield started


async def wait_for(check: Callable[[], Awaitable[bool]], within: float) -> None:
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.2)


async def the_holder(alive: list[Worker], role: str, within: float) -> Worker:
    """The one worker holding ``role``, once there is one (the others report 0)."""
    found: list[Worker] = []

    async def one_holder() -> bool:
        for w in alive:
            w.check()
        roles = [await w.roles() for w in alive]
        found[:] = [w for w, r in zip(alive, roles, strict=True) if r.get(role) == 1.0]
        standing_by = [r for r in roles if r.get(role) == 0.0]
        assert len(found) <= 1, roles
        return len(found) == 1 and len(standing_by) == len(alive) - 1

    await wait_for(one_holder, within)
    return found[0]


async def test_three_workers_share_one_database_and_one_telegram_receiver(
    postgres_url: str, tmp_path: Path
) -> None:
    await _reset_postgres(postgres_url)
    fake, feeds = FakeBotApi(), Feeds()
    await fake.start()
    await feeds.start()
    chats = [fake.chats.add(FakeChat(5000 + n)) for n in range(4)]
    try:
        async with workers(tmp_path, feeds, postgres_url, fake.url) as all_workers:

            async def every_worker_up() -> bool:
                for w in all_workers:
                    w.check()
                roles = [await w.roles() for w in all_workers]
                return all("receiver" in r for r in roles)

            await wait_for(every_worker_up, 120)
            receiver = await the_holder(all_workers, "receiver", 30)
            await the_holder(all_workers, "housekeeper", 5)

            for chat in chats:
                await fake.push(command(chat, "/subscribe loop-0"))
            await fake.wait_until(lambda: all(fake.sent_to(c.id) for c in chats), within=60)
            assert all(
                fake.sent_to(c.id)[0].text.startswith("Subscribed to Loopback loop-0")
                for c in chats
            )
            await fake.wait_until(lambda: all(feeds.fetched.values()), within=30)  # primed
            feeds.items = [1, 2, 3, 4]
            await fake.wait_until(
                lambda: all(len(fake.sent_to(c.id)) >= 3 for c in chats), within=60
            )

            # The receiver dies without a word; another takes over and answers.
            receiver.proc.send_signal(signal.SIGKILL)
            await receiver.proc.wait()
            alive = [w for w in all_workers if w is not receiver]
            before = {c.id: len(fake.sent_to(c.id)) for c in chats}
            await fake.push(command(chats[0], "/list"))
            await fake.wait_until(
                lambda: len(fake.sent_to(chats[0].id)) > before[chats[0].id],
                within=TAKEOVER_SECONDS,
            )
            for w in alive:
                w.check()
            await the_holder(alive, "receiver", 5)
            await the_holder(alive, "housekeeper", 10)
            await asyncio.sleep(3)  # time for any duplicate send to show up
    finally:
        await fake.stop()
        await feeds.stop()

    for chat in chats:
        stories = collections.Counter(
            m.text.split(":", 1)[0] for m in fake.sent_to(chat.id) if m.text.startswith("Story")
        )
        assert stories == {"Story 3": 1, "Story 4": 1}, (chat.id, stories)
    assert fake.conflicts == 0
    assert fake.most_polls == 1
    for name, times in feeds.fetched.items():
        gaps = [round(b - a, 2) for a, b in itertools.pairwise(times)]
        assert len(times) >= 2, (name, times)  # polled again after priming
        assert min(gaps) >= INTERVAL / 2, (name, gaps)
