"""The Discord adapter holds to the ``ChatAdapter`` contract (``tests/adapter_contract.py``):
real discord.py against the fake Discord, in a server text channel, by a Manage Channels
member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route
from discord_payloads import TEXT_ID
from discord_support import crashed, discord_settings
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.command_table import find
from bot.core.commands import Commands
from bot.core.models import ChatRef, Platform
from bot.storage import SqlStorage
from tests import adapter_contract as contract
from tests.fakes import FakeFeedSource, FixedClock

MESSAGES = rf"/channels/{TEXT_ID}/messages"
COMPLETION_WAIT = 1.0
"""Seconds a command may take to complete after its last message (a failing one: all)."""


@pytest.fixture
def make(fake: FakeDiscord, storage: SqlStorage) -> contract.Make:
    @asynccontextmanager
    async def start(kind: type[Commands]) -> AsyncIterator[contract.Driver]:
        commands = kind(storage, FakeFeedSource(), FixedClock())
        bot = DiscordAdapter(discord_settings(fake), commands, guild_ready_timeout=0)

        async def say(name: str, options: dict[str, str], n: int) -> list[str]:
            command = find(name)
            assert command is not None
            payload = fake.command(" ".join(command.path), dict(options))
            done = asyncio.ensure_future(
                bot.client.wait_for(
                    "app_command_completion", check=lambda i, _c: str(i.id) == payload["id"]
                )
            )
            log = await fake.interact(payload)
            await fake.wait_for(lambda: len(log.messages) >= n, check=lambda: crashed(bot))
            # Let the command finish (notices follow the reply); a failed one never completes.
            await asyncio.wait({done}, timeout=COMPLETION_WAIT)
            done.cancel()
            return [m.content for m in log.messages]

        def refuse() -> None:
            fake.fail("POST", MESSAGES, 403, {"message": "Missing Access", "code": 50001})

        def throttle() -> None:
            fake.rate_limit("POST", MESSAGES, 60.0)

        before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        try:
            await bot.start()
            yield contract.Driver(
                bot,
                ChatRef(Platform.DISCORD, str(TEXT_ID)),
                storage,
                say,
                refuse,
                throttle,
                commands=commands,
            )
        finally:
            await bot.stop()
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = before

    return start


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
async def test_discord_contract(
    check: Callable[[contract.Make], Awaitable[None]], make: contract.Make
) -> None:
    await check(make)
