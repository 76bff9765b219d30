"""The Telegram adapter holds to the ``ChatAdapter`` contract (``tests/adapter_contract.py``):
real python-telegram-bot against the fake Bot API, in a group whose administrator types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.core.commands import Commands
from bot.storage import open_storage
from tests import adapter_contract as contract
from tests.fakes import FakeFeedSource, FixedClock
from tests.telegram.conftest import settings_for, tg
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import FakeChat, command

GROUP = FakeChat(-100777, "supergroup", title="Newsroom", admins={11}, owner=10)


@pytest.fixture
def make(fake: FakeBotApi, tmp_path: Path) -> contract.Make:
    group = fake.chats.add(GROUP)

    @asynccontextmanager
    async def start(kind: type[Commands]) -> AsyncIterator[contract.Driver]:
        storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
        clock = FixedClock()
        commands = kind(storage, FakeFeedSource(), clock)
        adapter = TelegramAdapter(
            settings_for(fake.url).part(TelegramSettings),
            commands,
            clock=clock,
            poll_timeout=timedelta(seconds=5),
        )

        async def say(name: str, options: dict[str, str], n: int) -> list[str]:
            before = len(fake.sent_to(group.id))
            await fake.push(command(group, contract.options_text(name, options), sender=11))
            await fake.wait_until(lambda: len(fake.sent_to(group.id)) >= before + n)
            return [m.text for m in fake.sent_to(group.id)[before:]]

        def refuse() -> None:
            fake.fail("sendMessage", 403, "Forbidden: bot was kicked", chat_id=group.id)

        def throttle() -> None:
            fake.fail("sendMessage", 429, "Too Many Requests", retry_after=30, chat_id=group.id)

        await adapter.start()
        try:
            yield contract.Driver(
                adapter, tg(group.id), storage, say, refuse, throttle, commands=commands
            )
        finally:
            await adapter.stop()
            await storage.close()

    return start


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
async def test_telegram_contract(
    check: Callable[[contract.Make], Awaitable[None]], make: contract.Make
) -> None:
    await check(make)
