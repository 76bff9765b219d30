"""`newsbrief run` as a user runs it: piped commands in, replies and pushed briefs out, a clean
exit 0 on SIGTERM. The feed is served by a loopback HTTP server."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.console.chat import CONSOLE_CHAT
from bot.core.models import Feed
from bot.core.ports import Summarised
from bot.storage import open_storage
from tests.fakes import make_story
from tests.loopback import FeedServer
from tests.run_support import newsbrief_run


async def _read_until(stream: asyncio.StreamReader, needle: str, seen: list[str]) -> None:
    while not any(needle in line for line in seen):
        line = await stream.readline()
        if not line:
            raise AssertionError(f"output ended before {needle!r}; got:\n{''.join(seen)}")
        seen.append(line.decode())


async def test_piped_console_session(server: FeedServer, tmp_path: Path) -> None:
    async with newsbrief_run(
        tmp_path, server.url, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"/help\n/subscribe loop-news\n")
        await proc.stdin.drain()
        proc.stdin.close()  # input ends; the bot must keep running
        seen: list[str] = []
        async with asyncio.timeout(60):
            await _read_until(proc.stdout, "/subscribe <feed id | topic | URL>", seen)
            await _read_until(proc.stdout, "Subscribed to Loopback News (loop-news).", seen)
            await server.polled.wait()  # the first poll primes the feed
            server.items = [1, 2, 3]
            await _read_until(proc.stdout, "Story 3: troops cross into Kursk", seen)
            await _read_until(proc.stdout, "https://news.example/story-3", seen)
        text = "".join(seen)
        assert "Story 1:" not in text and "Story 2:" not in text  # primed, not pushed
        assert "Loopback News · " in text  # the footer names the source
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0


async def test_a_brief_claimed_before_a_crash_is_sent_at_restart_not_after_the_lease(
    server: FeedServer, tmp_path: Path
) -> None:
    """SQLite has one writer, so rows found claimed at start-up belong to a run that died:
    they go out at once instead of after the 300 s lease."""
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'run.db'}")
    now = datetime.now(UTC)
    await storage.sync_catalogue([Feed("loop-news", server.url, "Loopback News")])
    await storage.subscribe(CONSOLE_CHAT, ["loop-news"], now)
    story = make_story(7, "loop-news", published=now)
    await storage.record_story(
        story, Summarised("Claimed before the crash", "S."), now, deliver=True
    )
    assert len(await storage.claim_deliveries(now, 10, 300)) == 1  # ... then the bot died
    await storage.close()
    async with newsbrief_run(tmp_path, server.url, stdout=asyncio.subprocess.PIPE) as proc:
        assert proc.stdout is not None
        seen: list[str] = []
        async with asyncio.timeout(60):
            await _read_until(proc.stdout, "Claimed before the crash", seen)
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0
