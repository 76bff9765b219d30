"""Replies to slash commands (follow-ups after the defer) are retried on 429s and network
errors, honouring ``retry_after``; one that still fails is logged with the channel and
command. The pacer runs on a time machine, so retries never sleep for real."""

from __future__ import annotations

import logging

import pytest
from discord_payloads import TEXT_ID
from discord_support import crashed, run
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from tests.core.delivery_support import TimeMachine

FOLLOW_UP = r"/webhooks/\d+/[^/]+"


@pytest.fixture
def time_machine(adapter: DiscordAdapter) -> TimeMachine:
    machine = TimeMachine()
    adapter.notifier.pacer.use(monotonic=machine.monotonic, sleep=machine.sleep, ceiling=8)
    return machine


async def test_a_reply_hit_by_a_429_arrives_after_retry_after(
    fake: FakeDiscord, adapter: DiscordAdapter, time_machine: TimeMachine
) -> None:
    # discord.py retries a webhook 429 five times by itself, then gives up: ours come next.
    for _ in range(5):
        fake.rate_limit("POST", FOLLOW_UP, 0.01)
    fake.rate_limit("POST", FOLLOW_UP, 0.01)  # Retry-After: 1 on the one discord.py raises
    log = await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    (reply,) = log.messages
    assert reply.content.startswith("Subscribed to World News")
    assert fake.served_429["scripted"] == 6
    assert 1.0 in time_machine.slept  # waited the Retry-After before our retry
    # A follow-up's own 429 holds neither the channel's briefs nor the platform.
    assert adapter.notifier.pacer.gate.held_until() == 0.0


async def test_a_reply_under_a_network_error_is_retried(
    fake: FakeDiscord, adapter: DiscordAdapter, time_machine: TimeMachine
) -> None:
    fake.drop("POST", FOLLOW_UP)
    log = await run(fake, adapter, fake.command("help"))
    assert "/news alert remove <id>" in log.messages[0].content
    assert fake.count("POST", FOLLOW_UP) == 2
    assert time_machine.slept == [1.0]  # back-off before the second attempt


async def test_a_reply_that_fails_every_attempt_is_logged_with_channel_and_command(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    time_machine: TimeMachine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts = adapter.notifier.pacer.attempts
    for _ in range(attempts):
        fake.drop("POST", FOLLOW_UP)
    payload = fake.command("latest")
    done = adapter.client.wait_for(
        "app_command_completion", check=lambda i, _c: str(i.id) == payload["id"], timeout=5
    )
    with caplog.at_level(logging.ERROR, logger="bot.core.pacing"):
        log = await fake.interact(payload)
        await done
    crashed(adapter)
    assert log.messages == []
    assert fake.count("POST", FOLLOW_UP) == attempts
    (record,) = [r for r in caplog.records if "not sent after" in r.getMessage()]
    message = record.getMessage()
    assert "reply to /news latest" in message and f"discord:{TEXT_ID}" in message
