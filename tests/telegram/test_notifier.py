"""The Telegram pace (groups are slower) as the core Deliverer applies it, and error mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.adapters.telegram_bot.notifier import TelegramNotifier, translate
from bot.core.delivery import Deliverer
from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, RateLimited
from bot.core.models import ChatRef, Feed, Platform
from bot.core.ports import Summarised
from tests.fakes import FakeStorage, FixedClock, RecordingNotifier, make_story

PRIVATE = ChatRef(Platform.TELEGRAM, "4242")
GROUP = ChatRef(Platform.TELEGRAM, "-100777", "7")


def test_groups_and_channels_get_one_message_every_three_seconds() -> None:
    pace = TelegramNotifier.pace
    assert (pace.per_second, pace.interval(PRIVATE), pace.interval(GROUP)) == (30.0, 1.0, 3.0)


async def test_the_deliverer_spaces_a_chats_messages_by_its_own_interval() -> None:
    storage, clock = FakeStorage(), FixedClock()
    await storage.sync_catalogue([Feed("f", "https://f.example/rss", "F")])
    for chat in (PRIVATE, GROUP):
        await storage.subscribe(chat, ["f"], clock.now())
    for n in (1, 2):
        story = make_story(n, "f")
        await storage.record_story(story, Summarised(story.title, "S."), clock.now(), deliver=True)
    notifier = RecordingNotifier(platform=Platform.TELEGRAM, pace=TelegramNotifier.pace)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    # A monotonic clock that stands still, as the fake sleep does not advance it either.
    deliverer = Deliverer(
        storage, {Platform.TELEGRAM: notifier}, clock, sleep=sleep, monotonic=lambda: 0.0
    )
    await deliverer.drain()
    assert len(notifier.sent) == 4
    assert sorted(s for s in slept if s >= 1) == [1.0, 3.0]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: RetryAfter(timedelta(seconds=3)), RateLimited),
        (lambda: ChatMigrated(-100555), ChatMoved),
        (lambda: Forbidden("Forbidden: bot was blocked by the user"), ChatUnavailable),
        (lambda: BadRequest("Chat not found"), ChatUnavailable),
        (lambda: BadRequest("Message thread not found"), ChatUnavailable),
        (lambda: BadRequest("Not enough rights to send text messages"), ChatUnavailable),
        (lambda: BadRequest("Message is too long"), DeliveryError),
        (lambda: TimedOut(), DeliveryError),
        (lambda: NetworkError("Bad Gateway"), DeliveryError),
    ],
)
def test_library_errors_become_core_errors(
    make: Callable[[], TelegramError], expected: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    got = translate(make(), GROUP)
    assert type(got) is expected
    if isinstance(got, RateLimited):
        assert got.retry_after == 3.0
    if isinstance(got, ChatMoved):
        assert got.new_chat == ChatRef(Platform.TELEGRAM, "-100555", "7")
