"""The chat's language in the core: how it is chosen, ``/language``, and the bot's own words in
pushes (digest headings, notices) for each chat in its own language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.command_parse import Call, parse
from bot.core.commands import Commands
from bot.core.delivery import Deliverer
from bot.core.errors import FeedUnavailableError, UserInputError
from bot.core.i18n import using
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind
from bot.core.opml import parse_opml
from bot.core.pipeline import Pipeline
from bot.core.search import parse_search
from bot.storage import SqlStorage
from tests.core.delivery_support import TimeMachine, add_briefs, chat
from tests.fakes import FakeFeedSource, FakeStorage, FakeSummarizer, FixedClock, RecordingNotifier

CHAT = ChatRef(Platform.TELEGRAM, "42")
OTHER = ChatRef(Platform.TELEGRAM, "43")


def _commands(storage: FakeStorage) -> Commands:
    return Commands(storage, FakeFeedSource(), FixedClock())


async def test_the_callers_language_is_the_default_and_is_kept_for_the_chat() -> None:
    storage = FakeStorage()
    commands = _commands(storage)
    assert await commands.speaks(CHAT) == "en"
    assert await commands.speaks(CHAT, "pt-BR") == "en"  # not one of ours
    assert await commands.speaks(CHAT, "en-GB") == "en"
    assert (await storage.get_chat(CHAT)).language is None  # nothing stored for English
    assert await commands.speaks(CHAT, "uk-UA") == "uk"
    assert (await storage.get_chat(CHAT)).language == "uk"  # pushes come in Ukrainian too
    assert await commands.speaks(CHAT, "de") == "uk"  # the chat's language wins from then on


async def _run(commands: Commands, chat: ChatRef, text: str) -> tuple[str, ReplyKind]:
    with using(await commands.speaks(chat)):
        call = parse(text)
        assert call is not None
        reply = (await commands.run(chat, call)).reply if isinstance(call, Call) else call
    return reply.text, reply.kind


async def test_language_shows_sets_and_refuses_unknown_codes() -> None:
    storage = FakeStorage()
    commands = _commands(storage)
    text, _ = await _run(commands, CHAT, "/language")
    assert text == (
        "The bot speaks English here. /language <code> changes it; the choices: en (English), "
        "uk (Українська), ru (Русский), de (Deutsch), es (Español), fr (Français)."
    )
    text, kind = await _run(commands, CHAT, "/language klingon")
    assert kind is ReplyKind.ERROR and text.startswith('No language "klingon". The choices: en')
    text, _ = await _run(commands, CHAT, "/language RU")
    assert (
        text == "Теперь язык бота здесь: Русский — в ответах, новостях, дайджестах и уведомлениях."
    )
    assert (await storage.get_chat(CHAT)).language == "ru"
    text, _ = await _run(commands, CHAT, "/latest")
    assert text == "Лент пока нет. Добавьте с помощью /subscribe <URL ленты>."
    text, kind = await _run(commands, CHAT, "/unalert")
    assert kind is ReplyKind.ERROR and text == (
        "Использование: /unalert <id>. Номера показывает /alerts."
    )
    text, _ = await _run(commands, CHAT, "/language es-ES")
    assert text.startswith("Ahora el idioma del bot aquí es Español: respuestas")


async def test_a_paused_feed_is_told_to_each_chat_in_its_language() -> None:
    storage = FakeStorage()
    feed = Feed("a", "https://a.example/rss", "Alpha News", ("world",))
    await storage.sync_catalogue([feed])
    clock = FixedClock()
    await storage.subscribe(CHAT, ["a"], clock.now())
    await storage.subscribe(OTHER, ["a"], clock.now())
    await storage.save_chat(replace(await storage.get_chat(OTHER), language="de"))
    told: dict[ChatRef, str] = {}

    async def notify(to: ChatRef, text: str) -> None:
        told[to] = text

    source = FakeFeedSource()
    source.items[feed.url] = FeedUnavailableError("HTTP 500 from https://a.example/rss")
    pipeline = Pipeline(
        storage,
        source,
        FakeSummarizer(),
        poll_interval=timedelta(minutes=10),
        max_failures=1,
        notify=notify,
    )
    await pipeline.poll_due(clock.now())
    assert told[CHAT].startswith("The feed Alpha News (a) is paused after 1 failed polls")
    assert told[OTHER].startswith("Der Feed Alpha News (a) ist nach 1 fehlgeschlagenen Abrufen")
    assert told[OTHER].endswith("/subscribe a")


async def test_a_scheduled_digest_is_headed_in_the_chats_language(
    db: SqlStorage, notifier: RecordingNotifier
) -> None:
    clock = TimeMachine(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # 08:00 in Kyiv
    settings = await db.get_chat(chat(1))
    await db.save_chat(
        replace(
            settings,
            digest_times=("08:00",),
            timezone="Europe/Kyiv",
            last_digest_at=clock.now() - timedelta(hours=1),
            language="uk",
        )
    )
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 21, clock.now())
    deliverer = Deliverer(
        db, {notifier.platform: notifier}, clock, sleep=clock.sleep, monotonic=clock.monotonic
    )
    for _ in range(50):
        if not await deliverer.drain():
            break
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert heading == "Ваш огляд о 08:00: 21 новина (найобговорюваніші: 20; решта — у /latest)"
    assert len(ids) == 20


async def test_status_says_why_a_feed_is_paused_in_the_chats_language() -> None:
    storage = FakeStorage()
    feed = Feed("a", "https://a.example/rss", "Alpha News", ("world",))
    await storage.sync_catalogue([feed])
    await storage.subscribe(CHAT, ["a"], FixedClock().now())
    error = "HTTP 500 from https://a.example/rss"
    await storage.save_feed_state(
        FeedState(
            "a",
            failures=5,
            last_error=error,
            paused_reason="5 failed polls in a row, last: the server had an error (HTTP 500)",
        )
    )
    commands = _commands(storage)
    text, _ = await _run(commands, CHAT, "/status")
    assert text.startswith(
        "a: paused (5 failed polls in a row, last: the server had an error (HTTP 500))\n"
    )
    await storage.save_chat(replace(await storage.get_chat(CHAT), language="uk"))
    text, _ = await _run(commands, CHAT, "/status")
    assert text.startswith(
        "a: призупинено (5 невдалих перевірок поспіль, остання: на сервері сталася помилка "
        "(HTTP 500))\n"
    )


async def test_importance_export_and_file_errors_come_in_the_chats_language() -> None:
    storage = FakeStorage()
    commands = _commands(storage)
    await storage.save_chat(replace(await storage.get_chat(CHAT), language="ru"))
    text, _ = await _run(commands, CHAT, "/importance 5")
    assert text.startswith("Теперь новость приходит, когда о ней напишут 5 разных источников")
    text, _ = await _run(commands, CHAT, "/importance")
    assert text.startswith("Здесь новость приходит, когда о ней напишут 5 разных источников")
    text, kind = await _run(commands, CHAT, "/importance 11")
    assert (
        kind is ReplyKind.ERROR
        and text == "Укажите число источников от 1 до 10 или off: /importance 2."
    )
    text, _ = await _run(commands, CHAT, "/export")
    assert text.startswith("Этот чат не подписан ни на одну ленту")
    with using("de"):
        with pytest.raises(UserInputError, match="ist kein OPML"):
            parse_opml(b"<rss/>")
        with pytest.raises(UserInputError, match="Eine Suche darf höchstens"):
            parse_search("x" * 1000)
