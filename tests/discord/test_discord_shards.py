"""Discord shards shared out among workers on one PostgreSQL (``NEWSBRIEF_DISCORD_SHARDS``):
each worker runs gateway sessions only for the shard ids it holds, a shard is never identified
twice at once, every worker sends (a forum on another worker's shard is still posted to as a
forum), and when a worker goes its shards are taken over."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord_payloads import FORUM_ID, GUILD_ID
from discord_support import discord_settings
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.commands import Commands
from bot.core.models import Brief, ChatRef, Platform
from bot.storage.leader import Cluster
from tests.conftest import _reset_postgres
from tests.fakes import T0

SHARDS = 2


async def answered(fake: FakeDiscord) -> None:
    """A slash command in the fake's server is answered (by whichever worker runs its shard)."""
    log = await fake.interact(fake.command("help"))
    await fake.wait_for(lambda: bool(log.messages))


class Worker:
    def __init__(self, fake: FakeDiscord, commands: Commands, url: str) -> None:
        settings = discord_settings(fake, discord_shards=SHARDS)
        self.adapter = DiscordAdapter(
            settings, commands, guild_ready_timeout=0, elected=True, identify_spacing=0
        )
        self.cluster = Cluster(url)
        for name, gained, lost in self.adapter.shard_roles():
            self.cluster.role(
                name, on_gained=gained, on_lost=lost, group="discord_shards", handover=True
            )

    async def start(self) -> None:
        await self.adapter.start()
        await self.cluster.start()
        await self.cluster.round()  # handover: a shard session starts a round after its lock

    async def rounds(self) -> None:
        await self.cluster.round()
        await self.cluster.round()

    async def stop(self) -> None:
        await self.cluster.stop()
        await self.adapter.stop()


@pytest.fixture
async def two_workers(
    fake: FakeDiscord, commands: Commands, postgres_url: str
) -> AsyncIterator[tuple[Worker, Worker]]:
    await _reset_postgres(postgres_url)
    first, second = Worker(fake, commands, postgres_url), Worker(fake, commands, postgres_url)
    try:
        yield first, second
    finally:  # the second redirected discord.py's URLs last: it restores them first
        await second.stop()
        await first.stop()


async def test_shards_are_shared_out_and_taken_over(
    fake: FakeDiscord, two_workers: tuple[Worker, Worker]
) -> None:
    first, second = two_workers
    await first.start()
    assert sorted(first.adapter.shards) == [0, 1]  # alone: every shard
    assert first.adapter.ready
    await second.start()
    assert second.adapter.shards == {} and second.adapter.ready  # logged in, sending only
    await first.cluster.round()  # two workers now: one shard each
    await second.rounds()
    assert sorted(first.adapter.shards) == [0] and sorted(second.adapter.shards) == [1]
    assert sorted(fake.sessions) == [0, 1]
    assert (GUILD_ID >> 22) % SHARDS == 0  # the fake's server is on the first worker's shard
    await answered(fake)

    # The second worker has no gateway session for the server, yet posts into its forum.
    brief = Brief(
        1, "k", "wire", "Quake hits the coast", "Summary.", "https://x.example/1", "Wire", T0
    )
    await second.adapter.notifier.send_brief(ChatRef(Platform.DISCORD, str(FORUM_ID)), brief)
    assert [p["forum_id"] for p in fake.forum_posts] == [FORUM_ID]

    await first.cluster.stop()  # the first worker goes: its shard session closes
    assert first.adapter.shards == {} and sorted(fake.sessions) == [1]
    await second.rounds()
    assert sorted(second.adapter.shards) == [0, 1]
    assert sorted(fake.sessions) == [0, 1]
    await answered(fake)
    assert fake.identified == [[0, 2], [1, 2], [1, 2], [0, 2]]
