"""``newsbrief run`` at its edges (issue 16 item 6): the feeds file is checked before the
database is touched, an empty one is said so, and stopping during a poll says what it waits
for, while a second signal exits at once without losing anything."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.loopback import rss
from tests.run_support import check_alive, newsbrief_run, one_message, run_to_exit

SLOW = {
    # The held poll must not end by itself while the test signals the bot.
    "NEWSBRIEF_HTTP_TIMEOUT_SECONDS": "300",
    "NEWSBRIEF_HTTP_TOTAL_TIMEOUT_SECONDS": "900",
    "NEWSBRIEF_FEED_POLL_BUDGET_SECONDS": "3600",
}


class HeldFeed:
    """A feed server that holds every request until ``release`` is set."""

    def __init__(self) -> None:
        self.requested = asyncio.Event()
        self.release = asyncio.Event()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requested.set()
        await self.release.wait()
        return web.Response(body=rss([1, 2]), content_type="application/rss+xml")


@pytest.fixture
async def held() -> AsyncIterator[HeldFeed]:
    feed = HeldFeed()
    app = web.Application()
    app.router.add_get("/feed.xml", feed.handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    feed.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/feed.xml"  # type: ignore[union-attr]
    yield feed
    feed.release.set()
    await runner.cleanup()


def _database_files(tmp_path: Path) -> list[Path]:
    return list(tmp_path.glob("run.db*"))


async def _wait_for_log(proc: asyncio.subprocess.Process, tmp_path: Path, needle: str) -> str:
    """Wait until the bot's stderr has a line containing ``needle``; return that line."""
    async with asyncio.timeout(60):
        while True:
            for line in (tmp_path / "stderr.log").read_text().splitlines():
                if needle in line:
                    return line
            check_alive(proc, tmp_path)
            await asyncio.sleep(0.05)


async def test_a_bad_feeds_file_is_one_message_before_the_database_is_touched(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "my-feeds.yaml"
    bad.write_text("feeds:\n  - id: a\n   title: b\n")
    code, stderr = await run_to_exit(tmp_path, NEWSBRIEF_FEEDS_FILE=str(bad))
    assert code == 2
    line = one_message(stderr)
    assert line.startswith(f"newsbrief: {bad}, line 3, column 4: not valid YAML: ")
    assert _database_files(tmp_path) == []  # neither migrated nor locked


async def test_an_empty_feeds_file_is_said_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("feeds: []\n")
    async with newsbrief_run(
        tmp_path, "http://127.0.0.1:9/", NEWSBRIEF_FEEDS_FILE=str(empty)
    ) as proc:
        line = await _wait_for_log(proc, tmp_path, "lists 0 feeds")
        assert line.endswith(
            f"WARNING bot.app: {empty} lists 0 feeds: add one under `feeds:` as `  - {{id: "
            "my-news, title: My News, url: 'https://example.org/rss.xml', topics: [world]}` and "
            "restart, or /subscribe <URL> in a chat"
        )
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_stopping_during_the_first_poll_says_so_and_finishes_it(
    held: HeldFeed, tmp_path: Path
) -> None:
    async with newsbrief_run(tmp_path, held.url, **SLOW) as proc:
        await asyncio.wait_for(held.requested.wait(), 60)
        proc.send_signal(signal.SIGINT)
        line = await _wait_for_log(proc, tmp_path, "stopping, finishing")
        assert line.endswith(
            "WARNING bot.app: stopping, finishing 1 feed (up to 30 s); a second Ctrl-C or "
            "SIGTERM stops at once"
        )
        held.release.set()
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    assert "Traceback" not in (tmp_path / "stderr.log").read_text()


async def test_a_second_signal_exits_at_once_and_the_next_start_goes_on(
    held: HeldFeed, tmp_path: Path
) -> None:
    async with newsbrief_run(tmp_path, held.url, **SLOW) as proc:
        await asyncio.wait_for(held.requested.wait(), 60)
        proc.send_signal(signal.SIGINT)
        await _wait_for_log(proc, tmp_path, "stopping, finishing 1 feed")
        proc.send_signal(signal.SIGTERM)
        # The feed is still held: only the forced exit ends the process (128 + SIGTERM).
        assert await asyncio.wait_for(proc.wait(), 60) == 128 + signal.SIGTERM
        assert not held.release.is_set()
    stderr = (tmp_path / "stderr.log").read_text()
    assert "second SIGTERM: stopping at once" in stderr and "Traceback" not in stderr
    # Safe: the next run opens the same database and polls the feed the killed run held.
    held.release.set()
    held.requested.clear()
    async with newsbrief_run(tmp_path, held.url, NEWSBRIEF_LOG_LEVEL="INFO") as proc:
        await _wait_for_log(proc, tmp_path, "polled 1 feeds: 0 unchanged, 0 failed")
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 60) == 0
    assert held.requested.is_set()
