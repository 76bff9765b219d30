"""A tarpit cannot make the bot deaf (issue 13, item 3).

Real python-telegram-bot against the fake Bot API, real ``Commands`` and SQLite, and the real
HTTP feed source fetching from a loopback "tarpit" that answers one byte per second. Every
assertion is about the order of events (what had been sent, which requests were still open),
never about how long something took.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.core.commands import Commands, FetchLimits
from bot.feeds.settings import FetchSettings
from bot.feeds.source import open_feed_source
from bot.storage import open_storage
from tests.fakes import FixedClock
from tests.telegram.conftest import settings_for
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import FakeChat, command


@dataclass
class Tarpit:
    """Sends a 200 and then one byte a second until ``release`` (then ends the body)."""

    url: str = ""
    open: int = 0
    served: int = 0
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        self.open += 1
        try:
            while not self.released.is_set():
                await response.write(b" ")
                try:
                    await asyncio.wait_for(self.released.wait(), 1.0)
                except TimeoutError:
                    continue
            await response.write(b"<html>not a feed</html>")
            await response.write_eof()
        finally:
            self.open -= 1
            self.served += 1
        return response


@pytest.fixture
async def tarpit() -> AsyncIterator[Tarpit]:
    pit = Tarpit()
    app = web.Application()
    app.router.add_get("/slow.xml", pit.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pit.url = f"http://127.0.0.1:{port}/slow.xml"
    yield pit
    pit.released.set()
    await runner.cleanup()


@asynccontextmanager
async def running_bot(fake: FakeBotApi, tmp_path: Path, deadline: float) -> AsyncIterator[None]:
    """The bot with the real feed source (loopback allowed) and the given fetch deadline."""
    settings = settings_for(fake.url, allow_private_urls=True, chat_fetch_timeout_seconds=deadline)
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'tarpit.db'}")
    clock = FixedClock()
    source = open_feed_source(settings.part(FetchSettings), clock)
    limits = FetchLimits(settings.chat_fetch_timeout_seconds, settings.chat_fetches_per_chat)
    commands = Commands(storage, source, clock, fetch_limits=limits)
    adapter = TelegramAdapter(
        settings.part(TelegramSettings), commands, clock=clock, poll_timeout=timedelta(seconds=5)
    )
    await adapter.start()
    try:
        yield
    finally:
        await adapter.stop()
        await source.aclose()
        await storage.close()


def texts(fake: FakeBotApi, chat: FakeChat) -> list[str]:
    return [m.text for m in fake.sent_to(chat.id)]


def replies(fake: FakeBotApi, chat: FakeChat, n: int) -> Callable[[], bool]:
    return lambda: len(fake.sent_to(chat.id)) >= n


async def test_a_tarpit_subscribe_does_not_delay_another_chats_help(
    fake: FakeBotApi, tarpit: Tarpit, tmp_path: Path
) -> None:
    mallory = fake.chats.add(FakeChat(666, "private", title="Mallory"))
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    async with running_bot(fake, tmp_path, deadline=60.0):
        # Three tarpit subscribes from one chat: two fetches run, the third is refused at once.
        for n in range(3):
            await fake.push(command(mallory, f"/subscribe {tarpit.url}", message_id=n + 1))
        await fake.wait_until(lambda: tarpit.open == 2 and len(fake.sent_to(mallory.id)) == 1)
        (refusal,) = texts(fake, mallory)
        assert refusal.startswith("This chat already has 2 feed checks under way.")
        # Another chat's /help is answered while both tarpit fetches are still open.
        await fake.push(command(alice, "/help"))
        await fake.wait_until(replies(fake, alice, 1))
        assert "newsbrief sends short" in texts(fake, alice)[0]
        assert tarpit.open == 2 and tarpit.served == 0 and len(fake.sent_to(mallory.id)) == 1
        # Mallory's own later command is not stuck behind its fetches either.
        await fake.push(command(mallory, "/subscriptions", message_id=9))
        await fake.wait_until(replies(fake, mallory, 2))
        assert texts(fake, mallory)[1].startswith("This chat follows no feeds yet.")
        assert tarpit.open == 2
        # When the tarpit finally ends its body, both fetches answer (not a feed).
        tarpit.released.set()
        await fake.wait_until(replies(fake, mallory, 4))
        late = texts(fake, mallory)[2:]
        assert all(t.startswith(f"Cannot use {tarpit.url}:") for t in late), late


async def test_a_tarpit_subscribe_times_out_with_a_clear_reply(
    fake: FakeBotApi, tarpit: Tarpit, tmp_path: Path
) -> None:
    mallory = fake.chats.add(FakeChat(666, "private", title="Mallory"))
    async with running_bot(fake, tmp_path, deadline=0.5):
        await fake.push(command(mallory, f"/subscribe {tarpit.url}"))
        await fake.wait_until(replies(fake, mallory, 1), within=10.0)
        (reply,) = fake.sent_to(mallory.id)
        assert reply.text == (
            f"Timed out: {tarpit.url} did not answer within 0.5 s. "
            "Check the address, or try again later."
        )
        # Nothing was stored: the chat can try again later.
        await fake.push(command(mallory, "/subscriptions", message_id=2))
        await fake.wait_until(replies(fake, mallory, 2))
        assert texts(fake, mallory)[1].startswith("This chat follows no feeds yet.")
