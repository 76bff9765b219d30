"""The adapter's life cycle against the fake Discord: command registration in a development
server, a rejected token, and a client that dies after start-up (logged, not silent)."""

from __future__ import annotations

import logging

import pytest
from discord.http import Route
from discord_payloads import APP_ID, GUILD_ID
from discord_support import discord_settings, run
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.commands import Commands
from bot.core.errors import ConfigError
from bot.storage import SqlStorage


async def test_development_guild_sync_and_rejected_token(
    fake: FakeDiscord, commands: Commands, storage: SqlStorage
) -> None:
    bot = DiscordAdapter(
        discord_settings(fake, discord_guild_id=GUILD_ID), commands, guild_ready_timeout=0
    )
    await bot.start()
    try:
        answer = await run(
            fake, bot, fake.command("alert add", {"query": "kursk"}, guild_command=True)
        )
    finally:
        await bot.stop()
    assert answer.messages[0].content.startswith("Alert 1 set")
    assert [a.query for a in await storage.alerts()] == ["kursk"]
    assert fake.count("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands") == 1
    assert "global" not in fake.synced
    assert fake.synced[str(GUILD_ID)][0]["name"] == "news"

    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    bot = DiscordAdapter(discord_settings(fake), commands, guild_ready_timeout=0)
    with pytest.raises(ConfigError, match="NEWSBRIEF_DISCORD_TOKEN"):
        await bot.start()
    assert Route.BASE == "https://discord.com/api/v10"


async def test_a_client_crash_after_start_is_logged_with_its_traceback(
    fake: FakeDiscord, commands: Commands, caplog: pytest.LogCaptureFixture
) -> None:
    bot = DiscordAdapter(discord_settings(fake), commands, guild_ready_timeout=0)
    await bot.start()
    try:
        broken = fake.command("help")
        del broken["attachment_size_limit"]  # discord.py 2.7 needs it: KeyError in the parser
        with caplog.at_level(logging.ERROR, logger="bot.adapters.discord_bot.adapter"):
            await fake.interact(broken)
            assert bot.task is not None
            await fake.wait_for(bot.task.done)
    finally:
        await bot.stop()
    (record,) = [r for r in caplog.records if r.name == "bot.adapters.discord_bot.adapter"]
    assert record.getMessage() == "the Discord client stopped with an error"
    assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_the_bot_id_is_claimed_before_the_commands_are_registered(
    fake: FakeDiscord, commands: Commands
) -> None:
    """``bot.app`` refuses a second bot on a database through ``claim`` (issue 13)."""
    claimed: list[str] = []

    async def refuse(bot_id: str) -> None:
        claimed.append(bot_id)
        raise ConfigError(["NEWSBRIEF_DISCORD_TOKEN: this database's chats belong to bot 1"])

    bot = DiscordAdapter(discord_settings(fake), commands, guild_ready_timeout=0, claim=refuse)
    with pytest.raises(ConfigError, match="belong to bot 1"):
        await bot.start()
    assert claimed == [str(APP_ID)]
    assert "global" not in fake.synced  # refused before registering anything
    assert Route.BASE == "https://discord.com/api/v10"  # and stopped
