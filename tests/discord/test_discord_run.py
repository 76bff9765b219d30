"""``newsbrief run`` as an operator runs it, talking to the fake Discord through nothing but
the documented environment variables (docs/discord.md): commands registered at start-up, a
slash command answered, a new story pushed, a clean exit 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from discord_payloads import TOKEN
from fake_discord import FakeDiscord

from tests.loopback import FeedServer
from tests.run_support import check_alive, newsbrief_run


async def test_newsbrief_run_against_the_fake_discord(
    fake: FakeDiscord, server: FeedServer, tmp_path: Path
) -> None:
    settings = {
        "NEWSBRIEF_DISCORD_TOKEN": TOKEN,
        "NEWSBRIEF_DISCORD_API_URL": fake.api_url,
        "NEWSBRIEF_DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    async with newsbrief_run(tmp_path, server.url, **settings) as proc:

        def alive() -> None:
            check_alive(proc, tmp_path)

        await fake.wait_for(
            lambda: "global" in fake.synced and 0 in fake.sessions, within=60, check=alive
        )
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
