"""Fixtures for the Discord adapter tests: the loopback fake Discord, real storage (SQLite),
the real core ``Commands``, and a started ``DiscordAdapter`` pointed at the fake.

No ``__init__.py`` here on purpose: a package called ``discord`` under ``tests`` must never
shadow discord.py, so these modules are imported by their own names (``fake_discord``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord_support import CATALOGUE, crashed, discord_settings
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.commands import Commands
from bot.storage import SqlStorage, open_storage
from tests.fakes import FakeFeedSource, FixedClock


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    store = await open_storage("sqlite+aiosqlite:///" + str(tmp_path / "db.sqlite"))
    await store.sync_catalogue(CATALOGUE)
    yield store
    await store.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def source() -> FakeFeedSource:
    return FakeFeedSource()


@pytest.fixture
def commands(storage: SqlStorage, source: FakeFeedSource, clock: FixedClock) -> Commands:
    return Commands(storage, source, clock)


@pytest.fixture
async def adapter(fake: FakeDiscord, commands: Commands) -> AsyncIterator[DiscordAdapter]:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    bot = DiscordAdapter(discord_settings(fake), commands, guild_ready_timeout=0)
    try:
        await bot.start()
        yield bot
        crashed(bot)
    finally:
        await bot.stop()
        # stop() restores the process-global URLs; make sure, whatever happened.
        restored = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = before
    assert restored == before
    assert before[1] == yarl.URL("wss://gateway.discord.gg/")
