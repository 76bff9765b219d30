"""No log line carries the bot token, at any level: python-telegram-bot logs its base URL
(``.../bot<token>``) at DEBUG while the application is built, httpx every request URL (issue 13
item 6). The real adapter against the fake Bot API, every logger at DEBUG."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.core.commands import Commands
from bot.storage import open_storage
from tests.fakes import FakeFeedSource, FixedClock
from tests.telegram.conftest import settings_for
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN, FakeChat, command


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every record of every logger, as a handler newsbrief's set-up would have installed."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    level = root.level
    quiet = {name: logging.getLogger(name).level for name in ("telegram", "httpx", "httpcore")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)


async def test_the_token_is_in_no_log_line_at_debug(
    fake: FakeBotApi, tmp_path: Path, debug_log: io.StringIO
) -> None:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    clock = FixedClock()
    commands = Commands(storage, FakeFeedSource(), clock)
    adapter = TelegramAdapter(
        settings_for(fake.url).part(TelegramSettings),
        commands,
        clock=clock,
        poll_timeout=timedelta(seconds=1),
    )
    await adapter.start()
    try:
        alice = fake.chats.add(FakeChat(4242))
        await fake.push(command(alice, "/help"))
        await fake.wait_until(lambda: bool(fake.sent_to(alice.id)), within=10)
    finally:
        await adapter.stop()
        await storage.close()
    text = debug_log.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    # The lines that carried the token are there, masked.
    assert f"Set Bot API URL: {fake.url}/bot***" in text
    assert "sendMessage" in text and "HTTP Request" in text
