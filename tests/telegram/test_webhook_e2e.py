"""Webhook mode: the adapter registers its public URL and secret, then serves updates POSTed to
its own HTTP server (as Telegram does behind a reverse proxy)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.core.commands import Commands
from bot.storage import open_storage
from tests.fakes import FakeFeedSource, FixedClock
from tests.telegram.conftest import WORLD, settings_for
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import FakeChat, command

SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=[False, True], ids=["alone", "elected"])
async def webhook_bot(
    fake: FakeBotApi, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[str, FakeBotApi]]:
    """The adapter alone, and as ``newsbrief run`` builds it for a cluster (``elected``): with
    a webhook every worker serves updates, no receiver role."""
    port = free_port()
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'wh.db'}")
    await storage.sync_catalogue([WORLD])
    clock = FixedClock()
    settings = settings_for(
        fake.url,
        telegram_webhook_url="https://bot.example.org/tg/hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret=SECRET,
    )
    adapter = TelegramAdapter(
        settings.part(TelegramSettings),
        Commands(storage, FakeFeedSource(), clock),
        clock=clock,
        poll_timeout=timedelta(seconds=5),
        elected=request.param,
    )
    await adapter.start()
    assert not adapter.long_polling and adapter.ready
    yield f"http://127.0.0.1:{port}/tg/hook", fake
    await adapter.stop()
    await storage.close()


async def test_webhook_mode_registers_and_serves_updates(
    webhook_bot: tuple[str, FakeBotApi],
) -> None:
    local, fake = webhook_bot
    assert fake.webhook["url"] == "https://bot.example.org/tg/hook"
    assert fake.webhook["secret_token"] == SECRET
    assert fake.attempts("getUpdates") == 0
    alice = fake.chats.add(FakeChat(4242))
    update = {"update_id": 1, **command(alice, "/subscribe world")}
    async with aiohttp.ClientSession() as http:
        wrong = await http.post(
            local, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status == 403
        right = await http.post(
            local, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert right.status == 200
    await fake.wait_until(lambda: len(fake.sent_to(alice.id)) == 1)
    assert fake.sent_to(alice.id)[0].text.startswith("Subscribed to World News (world).")
