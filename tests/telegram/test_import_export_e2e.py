"""/import and /export end to end: a document in the fake Bot API -> real PTB (getFile,
download) -> the real core, with the real feed source against loopback feeds -> progress that
is edited, a summary, and an OPML file sent back with sendDocument."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from bot.adapters.telegram_bot import TelegramAdapter
from bot.adapters.telegram_bot.notifier import TelegramNotifier
from bot.core.commands import Commands, FetchLimits
from bot.core.opml import parse_opml
from bot.core.pacing import Pacer
from bot.feeds.settings import FetchSettings
from bot.feeds.source import open_feed_source
from bot.storage import SqlStorage, open_storage
from tests.core.delivery_support import TimeMachine
from tests.fakes import FixedClock
from tests.loopback import BOMB, ManyFeeds, opml
from tests.telegram.conftest import settings_for, tg
from tests.telegram.fake_bot_api import FakeBotApi, Sent
from tests.telegram.fake_chats import FakeChat, command, message_with


@asynccontextmanager
async def running(
    fake: FakeBotApi, tmp_path: Path, max_feeds: int = 100
) -> AsyncIterator[SqlStorage]:
    """The bot with the real feed source (loopback allowed), as ``newsbrief run`` builds it;
    replies are paced on a clock of their own that never waits for real."""
    settings = settings_for(fake.url, allow_private_urls=True)
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'import.db'}")
    clock = FixedClock()
    source = open_feed_source(settings.part(FetchSettings), clock)
    limits = FetchLimits(settings.chat_fetch_timeout_seconds, settings.chat_fetches_per_chat)
    commands = Commands(storage, source, clock, fetch_limits=limits, max_feeds=max_feeds)
    machine = TimeMachine()
    pacer = Pacer(TelegramNotifier.pace, monotonic=machine.monotonic, sleep=machine.sleep)
    adapter = TelegramAdapter(
        settings, commands, clock=clock, poll_timeout=timedelta(seconds=5), pacer=pacer
    )
    await adapter.start()
    try:
        yield storage
    finally:
        await adapter.stop()
        await source.aclose()
        await storage.close()


async def said(fake: FakeBotApi, chat: FakeChat, n: int, within: float = 10.0) -> list[Sent]:
    """The first ``n`` messages the bot sent to ``chat`` (waiting for them)."""
    await fake.wait_until(lambda: len(fake.sent_to(chat.id)) >= n, within=within)
    return fake.sent_to(chat.id)[:n]


async def urls(storage: SqlStorage, chat: FakeChat) -> list[str]:
    return sorted(f.url for f in await storage.subscriptions(tg(chat.id)))


async def test_import_shows_progress_then_a_summary_and_export_round_trips(
    fake: FakeBotApi, many_feeds: ManyFeeds, tmp_path: Path
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    newsroom = fake.chats.add(FakeChat(-100777, "supergroup", title="Newsroom", admins={11}))
    listed = [many_feeds.url(n) for n in (1, 2, 3)]
    async with running(fake, tmp_path) as storage:
        document = fake.add_document(opml(*listed), "mine.opml")
        await fake.push(command(alice, "/import", document=document))
        progress, summary = await said(fake, alice, 2)
        assert progress.text == "Checking 3 feeds…"
        assert progress.edits == ["3 of 3 checked"]  # the fixed clock allows only the last
        assert summary.text.startswith(
            "Import done: 3 in the list, 3 added, 0 already followed, 0 refused."
        )
        assert await urls(storage, alice) == sorted(listed)
        assert fake.downloads == [document["file_id"]]
        (topics,) = {f.topics for f in await storage.subscriptions(tg(alice.id))}
        assert topics == ("tech",)  # the folder became a topic

        await fake.push(command(alice, "/export", message_id=2))
        (*_, exported) = await said(fake, alice, 3)
        assert exported.document is not None
        assert exported.document.filename == "newsbrief-telegram-4242.opml"
        assert exported.text.startswith("This chat's 3 feeds as OPML")
        assert sorted(o.url for o in parse_opml(exported.document.data)) == sorted(listed)

        # A member of a group who is no administrator may not import; nothing is downloaded.
        again = fake.add_document(exported.document.data, exported.document.filename)
        carrier = message_with(newsroom, again, sender=12, message_id=30)
        await fake.push(command(newsroom, "/import", sender=12, reply_to=carrier, message_id=31))
        (refused,) = await said(fake, newsroom, 1)
        assert refused.text.startswith("Only this chat's administrators can use /import")
        assert fake.downloads == [document["file_id"]]
        # An administrator answers /import to the exported file: the same subscriptions.
        await fake.push(command(newsroom, "/import", sender=11, reply_to=carrier, message_id=32))
        *_, done = await said(fake, newsroom, 3)
        assert done.text.startswith("Import done: 3 in the list, 3 added")
        assert await urls(storage, newsroom) == await urls(storage, alice)
        alices = {f.id for f in await storage.subscriptions(tg(alice.id))}
        assert {f.id for f in await storage.subscriptions(tg(newsroom.id))} == alices
        # Importing the same list again adds nothing.
        await fake.push(command(newsroom, "/import", sender=11, reply_to=carrier, message_id=33))
        *_, twice = await said(fake, newsroom, 5)
        assert twice.text.startswith("Import done: 3 in the list, 0 added, 3 already followed")


async def test_hostile_and_missing_files_get_one_clear_answer_and_change_nothing(
    fake: FakeBotApi, many_feeds: ManyFeeds, tmp_path: Path
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    async with running(fake, tmp_path) as storage:
        await fake.push(command(alice, "/import"))
        (usage,) = await said(fake, alice, 1)
        assert usage.text.startswith("Send an OPML file (.opml or .xml")

        bomb = fake.add_document(BOMB, "lol.opml")
        await fake.push(command(alice, "/import", document=bomb, message_id=2))
        *_, refused = await said(fake, alice, 2)
        assert refused.text.startswith("That file declares a DTD or XML entities")

        junk = fake.add_document(b"\x89PNG\r\n\x1a\n\x00\x00 not xml", "cat.xml")
        await fake.push(command(alice, "/import@newsbrief_bot", document=junk, message_id=3))
        *_, not_xml = await said(fake, alice, 3)
        assert not_xml.text.startswith("That file is not XML")

        huge = fake.add_document(b"", "huge.opml", size=20 * 1024 * 1024)
        await fake.push(command(alice, "/import", document=huge, message_id=4))
        *_, too_big = await said(fake, alice, 4)
        assert too_big.text.startswith("That file is 21.0 MB; an OPML list is read up to 2 MB.")

        assert fake.attempts("getFile") == 2 and huge["file_id"] not in fake.downloads
        assert await storage.subscriptions(tg(alice.id)) == []
        assert many_feeds.served == []
        assert all(not m.edits for m in fake.sent_to(alice.id))  # no progress was shown


async def test_a_list_over_the_feed_limit_adds_up_to_it_and_says_so(
    fake: FakeBotApi, many_feeds: ManyFeeds, tmp_path: Path
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    listing = opml(*(many_feeds.url(n) for n in range(5000)))
    async with running(fake, tmp_path, max_feeds=3) as storage:
        document = fake.add_document(listing, "big.opml")
        await fake.push(command(alice, "/import", document=document))
        progress, summary = await said(fake, alice, 2, within=30.0)
        assert progress.text == "Checking 5000 feeds…" and progress.shown == "5000 of 5000 checked"
        assert summary.text.startswith(
            "Import done: 5000 in the list, 3 added, 0 already followed, 0 refused, "
            "4997 over the limit."
        )
        assert "A chat follows at most 3 feeds: /unsubscribe some" in summary.text
        assert len(await urls(storage, alice)) == 3 and len(many_feeds.served) == 3

        await fake.push(command(alice, "/unsubscribe all", message_id=2))
        await said(fake, alice, 3)
        await fake.push(command(alice, "/export", message_id=3))
        *_, empty = await said(fake, alice, 4)
        assert empty.document is None and empty.text.startswith("This chat follows no feeds")


async def test_a_refused_progress_edit_is_not_fatal(
    fake: FakeBotApi, many_feeds: ManyFeeds, tmp_path: Path
) -> None:
    alice = fake.chats.add(FakeChat(4242, "private", title="Alice"))
    fake.fail("editMessageText", 429, "Too Many Requests: retry after 5", retry_after=5)
    async with running(fake, tmp_path) as storage:
        document = fake.add_document(opml(many_feeds.url(1)), "one.opml")
        await fake.push(command(alice, "/import", document=document))
        progress, summary = await said(fake, alice, 2)
        assert progress.text == "Checking 1 feed…" and progress.edits == []
        assert summary.text.startswith("Import done: 1 in the list, 1 added")
        assert fake.attempts("editMessageText") == 1  # skipped, not retried
        assert await urls(storage, alice) == [many_feeds.url(1)]


async def test_an_import_speaks_the_users_language_from_progress_to_summary(
    fake: FakeBotApi, many_feeds: ManyFeeds, tmp_path: Path
) -> None:
    """The import runs as a task of its own (it fetches): it keeps the chat's language."""
    olena = fake.chats.add(FakeChat(4646, "private", title="Olena", language="uk"))
    listed = [many_feeds.url(n) for n in (1, 2)]
    async with running(fake, tmp_path) as storage:
        document = fake.add_document(opml(*listed), "mine.opml")
        await fake.push(command(olena, "/import", document=document))
        progress, summary = await said(fake, olena, 2)
        assert progress.text == "Перевіряю 2 стрічки…"
        assert progress.edits == ["перевірено 2 з 2"]
        assert summary.text.startswith(
            "Імпорт завершено: у списку 2, додано 2, уже в підписках 0, відхилено 0."
        )
        assert len(await urls(storage, olena)) == 2
        await fake.push(command(olena, "/export", message_id=2))
        (*_, exported) = await said(fake, olena, 3)
        assert exported.text.startswith("2 стрічки цього чату у форматі OPML")
