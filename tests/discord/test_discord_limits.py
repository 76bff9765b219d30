"""The fake's Discord limits against the unmodified discord.py: per-route buckets with
``X-RateLimit-*`` headers, the global limit with ``global: true`` 429s, and latency."""

from __future__ import annotations

import asyncio

import pytest
from fake_discord import FakeDiscord, Limits

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.models import ChatRef, Platform
from bot.core.pacing import DECREASE


def channel(n: int) -> ChatRef:
    return ChatRef(Platform.DISCORD, str(7000 + n))


async def test_route_bucket_headers_make_discord_py_wait_instead_of_getting_429s(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.limits = Limits(route_limit=2, route_window=0.3)
    for i in range(5):
        await adapter.notifier.send_text(channel(1), f"notice {i}")
    assert [m["content"] for m in fake.channel_messages] == [f"notice {i}" for i in range(5)]
    # discord.py read Remaining: 0 and Reset-After, and waited for the bucket to reset.
    assert fake.served_429["route"] == 0


async def test_over_a_route_bucket_discord_py_honours_the_429_and_retries(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.limits = Limits(route_limit=1, route_window=0.2)
    fake.used_elsewhere(7001)
    await adapter.notifier.send_text(channel(1), "n0")
    await adapter.notifier.send_text(channel(1), "n1")
    assert [m["content"] for m in fake.channel_messages] == ["n0", "n1"]
    assert fake.served_429["route"] == 1
    assert fake.served_429["global"] == 0


async def test_over_the_global_limit_every_request_gets_a_global_429_until_it_ends(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.limits = Limits(global_per_second=3)
    fake.latency = 0.01
    await asyncio.gather(*(adapter.notifier.send_text(channel(i), f"to {i}") for i in range(8)))
    # discord.py waited out the global 429s itself (retry_after is under a second) and retried.
    assert sorted(m["channel_id"] for m in fake.channel_messages) == [7000 + i for i in range(8)]
    assert fake.served_429["global"] >= 1
    assert fake.served_429["route"] == 0


async def test_a_global_429_holds_the_discord_pacer_and_lowers_its_rate(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    pacer = adapter.notifier.pacer
    start_rate = pacer.gate.current_rate()
    fake.limits = Limits(global_per_second=2)
    await asyncio.gather(*(adapter.notifier.send_text(channel(i), f"to {i}") for i in range(4)))
    assert fake.served_429["global"] >= 1
    # discord.py waited it out itself; the pacer heard of it through the HTTP trace.
    assert pacer.global_limits == 1
    assert pacer.gate.held_until() > 0
    assert pacer.gate.rate == pytest.approx(start_rate * DECREASE)
    assert len(fake.channel_messages) == 4


async def test_a_per_route_429_holds_only_that_channel(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    pacer = adapter.notifier.pacer
    fake.limits = Limits(route_limit=1, route_window=0.2)
    fake.used_elsewhere(7001)
    fake.used_elsewhere(7002)
    await asyncio.gather(
        adapter.notifier.send_text(channel(1), "a"), adapter.notifier.send_text(channel(2), "b")
    )
    assert fake.served_429["route"] == 2
    assert pacer.global_limits == 0  # two channels' own limits are not a global one
    assert pacer.gate.held_until() == 0.0
    assert pacer.chats.free_at(channel(1)) > 0
    assert pacer.chats.free_at(channel(3)) == 0.0


async def test_a_post_that_exhausts_its_bucket_returns_once_discord_accepted_it(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.limits = Limits(route_limit=1, route_window=20.0)
    await adapter.notifier.send_text(channel(1), "first")
    assert [m["content"] for m in fake.channel_messages] == ["first"]
    # discord.py is still sleeping out the bucket (Remaining: 0, 20 s) inside that post; the
    # notifier did not wait for it, so the outbox records the brief and frees its slot.
    assert len(adapter.notifier.posting) == 1
