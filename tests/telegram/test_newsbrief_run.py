"""``newsbrief run`` as an operator runs it, against the fake Bot API through nothing but the
documented environment variables (docs/telegram.md): the command menu registered, a command
answered, a new story pushed, a clean exit 0 on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.loopback import FeedServer
from tests.run_support import check_alive, newsbrief_run
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN, FakeChat, command


async def test_newsbrief_run_against_the_fake_bot_api(
    fake: FakeBotApi, server: FeedServer, tmp_path: Path
) -> None:
    settings = {"NEWSBRIEF_TELEGRAM_TOKEN": TOKEN, "NEWSBRIEF_TELEGRAM_API_URL": fake.url}
    alice = fake.chats.add(FakeChat(4242))
    async with newsbrief_run(tmp_path, server.url, **settings) as proc:

        def running() -> bool:
            check_alive(proc, tmp_path)
            return True

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
