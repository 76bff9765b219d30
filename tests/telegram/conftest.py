"""A whole newsbrief against the fake Bot API: real PTB, real ``Commands``, ``Deliverer``,
``Pipeline`` and SQLite storage; only the feeds and the summariser are fakes.

The clock is a ``FixedClock``: the ``Deliverer`` sleeps on it (pacing never waits for real) and
tests advance it to make retries and polls due.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.config import Settings
from bot.core.commands import Commands
from bot.core.delivery import Deliverer
from bot.core.models import ChatRef, Feed, Platform, Story
from bot.core.pipeline import Pipeline
from bot.storage import SqlStorage, open_storage
from tests.fakes import (
    FakeEmbedder,
    FakeFeedSource,
    FakeSummarizer,
    FixedClock,
    count_pending,
    make_story,
)
from tests.telegram.fake_bot_api import FakeBotApi, Sent
from tests.telegram.fake_chats import TOKEN, FakeChat, command

# httpx (inside PTB) honours HTTP(S)_PROXY; loopback must bypass any proxy.
os.environ["NO_PROXY"] = "127.0.0.1,localhost,::1"

WORLD = Feed("world", "https://feeds.example/world.xml", "World News", topics=("world",))
TECH = Feed("tech", "https://feeds.example/tech.xml", "Tech Today", topics=("tech",))


def tg(chat_id: int, thread: int | None = None) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(chat_id), str(thread) if thread else "")


@dataclass
class World:
    """Everything a test touches."""

    fake: FakeBotApi
    storage: SqlStorage
    clock: FixedClock
    source: FakeFeedSource
    commands: Commands
    adapter: TelegramAdapter
    deliverer: Deliverer
    pipeline: Pipeline
    _story: int = 0

    async def say(self, chat: FakeChat, text: str, *, replies: int = 1, **kw: Any) -> list[Sent]:
        """Send ``text`` in ``chat`` and return the bot's next ``replies`` messages there."""
        before = len(self.fake.sent_to(chat.id))
        await self.fake.push(command(chat, text, **kw))
        await self.fake.wait_until(lambda: len(self.fake.sent_to(chat.id)) >= before + replies)
        return self.fake.sent_to(chat.id)[before:]

    async def eventually(self, check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
        """Wait (in small real steps) until the async ``check`` holds."""
        deadline = time.monotonic() + within
        while not await check():
            assert time.monotonic() < deadline, "condition never held"
            await asyncio.sleep(0.01)

    def story(self, feed: Feed, **kw: Any) -> Story:
        self._story += 1
        return make_story(self._story, feed.id, published=self.clock.now(), **kw)

    async def publish(self, feed: Feed, *stories: Story) -> None:
        """The feed now carries ``stories`` too; poll it (it is due)."""
        current = self.source.items.setdefault(feed.url, [])
        assert isinstance(current, list)
        current.extend(stories)
        self.clock.advance(600)
        await self.pipeline.poll_due(self.clock.now())

    async def deliver(self, rounds: int = 20, step: float = 1.0) -> None:
        """Drain the outbox until it is empty, advancing the clock ``step`` s per idle round."""
        for _ in range(rounds):
            if not await self.deliverer.drain():
                if not await count_pending(self.storage):
                    return
                self.clock.advance(step)


def settings_for(url: str, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_token=TOKEN, telegram_api_url=url, **extra
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Extra settings for the bot under test (tests override this fixture)."""
    return {}


@pytest.fixture
async def world(
    fake: FakeBotApi, tmp_path: Path, bot_settings: dict[str, Any]
) -> AsyncIterator[World]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}")
    await storage.sync_catalogue([WORLD, TECH])
    clock = FixedClock()
    source = FakeFeedSource()
    embedder = FakeEmbedder(war="kursk sudzha incursion troops")
    commands = Commands(storage, source, clock, embedder=embedder)
    adapter = TelegramAdapter(
        settings_for(fake.url, **bot_settings).part(TelegramSettings),
        commands,
        clock=clock,
        poll_timeout=timedelta(seconds=5),
    )
    deliverer = Deliverer(storage, {Platform.TELEGRAM: adapter.notifier}, clock, sleep=clock.sleep)
    pipeline = Pipeline(
        storage,
        source,
        FakeSummarizer(words=2000),
        poll_interval=timedelta(minutes=10),
        embedder=embedder,
    )
    await pipeline.poll_due(clock.now())  # primes both feeds
    await adapter.start()
    yield World(fake, storage, clock, source, commands, adapter, deliverer, pipeline)
    await adapter.stop()
    await storage.close()
