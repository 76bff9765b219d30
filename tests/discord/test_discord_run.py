"""``newsbrief run`` as an operator runs it, talking to the fake Discord through nothing but
the documented environment variables (docs/discord.md): commands registered at start-up, a
slash command answered, a new story pushed, a clean exit 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from discord_payloads import TOKEN
from fake_discord import FakeDiscord

from tests.loopback import FeedServer

ROOT = Path(__file__).resolve().parents[2]


async def test_newsbrief_run_against_the_fake_discord(
    fake: FakeDiscord, server: FeedServer, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.yaml"
    entry = f"{{id: loop-news, title: Loopback News, url: '{server.url}', topics: [world]}}"
    feeds.write_text(f"feeds:\n  - {entry}\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSBRIEF_DISCORD_TOKEN": TOKEN,
        "NEWSBRIEF_DISCORD_API_URL": fake.api_url,
        "NEWSBRIEF_DISCORD_GATEWAY_URL": fake.gateway_url,
        "NEWSBRIEF_TELEGRAM_TOKEN": "",
        "NEWSBRIEF_FEEDS_FILE": str(feeds),
        "NEWSBRIEF_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "NEWSBRIEF_POLL_INTERVAL_SECONDS": "1",
        "NEWSBRIEF_SUMMARIZER": "lead",
    }
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

    def alive() -> None:
        if proc.returncode is not None:
            raise AssertionError((tmp_path / "stderr.log").read_text()[-3000:])

    try:
        await fake.wait_for(lambda: "global" in fake.synced, within=60, check=alive)
        assert fake.synced["global"][0]["name"] == "news"
        answer = await fake.interact(fake.command("subscribe", {"target": "loop-news"}))
        await fake.wait_for(lambda: bool(answer.messages), within=30, check=alive)
        assert answer.messages[0].content.startswith("Subscribed to Loopback News (loop-news).")
        await asyncio.wait_for(server.polled.wait(), 30)  # the first poll primes the feed
        server.items = [1, 2, 3]
        await fake.wait_for(lambda: bool(fake.channel_messages), within=30, check=alive)
        (posted,) = fake.channel_messages
        assert posted["embeds"][0]["title"] == "Story 3: troops cross into Kursk"
        assert posted["allowed_mentions"] == {"parse": []}
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()
