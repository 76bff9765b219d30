"""The Telegram adapter as ``newsbrief run`` builds it (``elected=True``): it long-polls only
while this worker holds the cluster's receiver role, sends either way, and with a webhook it
serves updates in every worker (no role). Also: the fake answers overlapping polls with 409."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx

from bot.adapters.telegram_bot import TelegramAdapter
from bot.core.commands import Commands
from bot.core.models import ChatRef, Platform
from bot.storage import open_storage
from tests.fakes import FakeFeedSource, FixedClock
from tests.telegram.conftest import settings_for
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN, FakeChat, command


async def test_an_elected_adapter_polls_only_while_it_holds_the_role(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    commands = Commands(storage, FakeFeedSource(), FixedClock())
    adapter = TelegramAdapter(
        settings_for(fake.url), commands, poll_timeout=timedelta(seconds=1), elected=True
    )
    alice = fake.chats.add(FakeChat(4242))
    try:
        await adapter.start()
        assert adapter.long_polling and adapter.ready  # standing by is connected
        await adapter.notifier.send_text(ChatRef(Platform.TELEGRAM, "4242"), "from a standby")
        assert fake.attempts("getUpdates") == 0
        await adapter.start_receiving()
        await fake.push(command(alice, "/help"))
        await fake.wait_until(lambda: len(fake.sent_to(alice.id)) == 2)
        await adapter.stop_receiving()
        polls = fake.attempts("getUpdates")
        await asyncio.sleep(0.3)
        assert fake.attempts("getUpdates") == polls  # stopped polling
        assert adapter.ready
    finally:
        await adapter.stop()
        await storage.close()
    assert fake.conflicts == 0 and fake.most_polls == 1


async def test_a_second_poller_ends_the_first_with_409(fake: FakeBotApi) -> None:
    url = f"{fake.url}/bot{TOKEN}/getUpdates"
    async with httpx.AsyncClient() as http:
        first = asyncio.create_task(http.post(url, data={"timeout": "5"}))
        await fake.wait_until(lambda: fake.attempts("getUpdates") == 1)
        second = asyncio.create_task(http.post(url, data={"timeout": "0"}))
        assert (await first).status_code == 409
        assert (await second).json() == {"ok": True, "result": []}
    assert fake.conflicts == 1 and fake.most_polls == 2
