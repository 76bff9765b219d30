"""``newsbrief run`` as an operator runs it, against the fake Bot API through nothing but the
documented environment variables (docs/telegram.md): the command menu registered, a command
answered, a new story pushed, a clean exit 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

import summarizer
from tests.loopback import FeedServer
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN, FakeChat, command

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not hasattr(summarizer, "build_summarizer"),
    reason="newsbrief run needs the summarizer package, not in this checkout yet",
)


async def test_newsbrief_run_against_the_fake_bot_api(
    fake: FakeBotApi, server: FeedServer, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.yaml"
    entry = f"{{id: loop-news, title: Loopback News, url: '{server.url}', topics: [world]}}"
    feeds.write_text(f"feeds:\n  - {entry}\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
        "NEWSBRIEF_TELEGRAM_TOKEN": TOKEN,
        "NEWSBRIEF_TELEGRAM_API_URL": fake.url,
        "NO_PROXY": "127.0.0.1,localhost",
        "NEWSBRIEF_DISCORD_TOKEN": "",
        "NEWSBRIEF_FEEDS_FILE": str(feeds),
        "NEWSBRIEF_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "NEWSBRIEF_POLL_INTERVAL_SECONDS": "1",
        "NEWSBRIEF_SUMMARIZER": "lead",
    }
    env.pop("PTB_TIMEDELTA", None)  # the adapter must switch it on by itself
    log = (tmp_path / "stderr.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )

    def running() -> bool:
        if proc.returncode is not None:
            raise AssertionError((tmp_path / "stderr.log").read_text()[-3000:])
        return True

    alice = fake.chats.add(FakeChat(4242))
    try:
        await fake.wait_until(lambda: running() and bool(fake.commands), within=60)
        assert fake.commands[0]["command"] == "start"
        await fake.push(command(alice, "/subscribe loop-news"))
        await fake.wait_until(lambda: running() and bool(fake.sent_to(alice.id)), within=30)
        assert fake.sent_to(alice.id)[0].text.startswith("Subscribed to Loopback News")
        await asyncio.wait_for(server.polled.wait(), 30)  # the first poll primes the feed
        server.items = [1, 2, 3]
        await fake.wait_until(lambda: running() and len(fake.sent_to(alice.id)) > 1, within=30)
        pushed = fake.sent_to(alice.id)[1]
        assert pushed.text.startswith("Story 3: troops cross into Kursk\n")
        assert pushed.parse_mode == "HTML" and pushed.links == ["https://news.example/story-3"]
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()
