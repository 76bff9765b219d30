"""Command replies through the platform pacer: a 429 or a network error on a reply is retried
(after ``retry_after``), never dropped. Real PTB against the fake Bot API; the pacer runs on a
time machine, so nothing sleeps for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.notifier import TelegramNotifier
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.core.commands import Commands
from bot.core.pacing import Pacer
from bot.storage import open_storage
from tests.core.delivery_support import TimeMachine
from tests.fakes import FakeFeedSource
from tests.telegram.conftest import WORLD, settings_for
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import FakeChat, command


@pytest.fixture
async def bot(fake: FakeBotApi, tmp_path: Path) -> AsyncIterator[TimeMachine]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    await storage.sync_catalogue([WORLD])
    clock = TimeMachine()
    pacer = Pacer(TelegramNotifier.pace, monotonic=clock.monotonic, sleep=clock.sleep)
    adapter = TelegramAdapter(
        settings_for(fake.url).part(TelegramSettings),
        Commands(storage, FakeFeedSource(), clock),
        clock=clock,
        poll_timeout=timedelta(seconds=5),
        pacer=pacer,
    )
    await adapter.start()
    yield clock
    await adapter.stop()
    await storage.close()


async def test_a_reply_hit_by_a_429_arrives_after_retry_after(
    fake: FakeBotApi, bot: TimeMachine
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    fake.fail(
        "sendMessage", 429, "Too Many Requests: retry after 7", chat_id=alice.id, retry_after=7
    )
    start = bot.monotonic()
    await fake.push(command(alice, "/help"))
    await fake.wait_until(lambda: len(fake.sent_to(alice.id)) == 1)
    assert "/subscribe" in fake.sent_to(alice.id)[0].text
    assert fake.attempts("sendMessage", alice.id) == 2
    assert bot.monotonic() - start >= 7  # the second attempt waited out retry_after
    assert 7.0 in [round(s, 3) for s in bot.slept]


async def test_a_reply_under_a_network_error_is_retried(fake: FakeBotApi, bot: TimeMachine) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    fake.fail("sendMessage", 502, "Bad Gateway", chat_id=alice.id, times=2)
    await fake.push(command(alice, "/help"))
    await fake.wait_until(lambda: len(fake.sent_to(alice.id)) == 1)
    assert fake.attempts("sendMessage", alice.id) == 3
    assert [s for s in bot.slept if s >= 1] == [1.0, 2.0]  # back-off between the attempts


async def test_a_reply_that_never_gets_through_is_logged_with_chat_and_command(
    fake: FakeBotApi, bot: TimeMachine, caplog: pytest.LogCaptureFixture
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    fake.fail("sendMessage", 502, "Bad Gateway", chat_id=alice.id, times=50)
    await fake.push(command(alice, "/feeds"))
    await fake.wait_until(lambda: fake.attempts("sendMessage", alice.id) >= 5)
    await fake.wait_until(lambda: any("not sent after" in r.getMessage() for r in caplog.records))
    [record] = [r for r in caplog.records if "not sent after" in r.getMessage()]
    assert "reply to /feeds" in record.getMessage() and "4242" in record.getMessage()
    assert fake.sent_to(alice.id) == []
