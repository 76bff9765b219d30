"""``TelegramNotifier`` on a stand-in ``Bot``: refused HTML goes again as plain text, edits that
change nothing are no failure, a blocked chat or a flood wait is handled where a person would
expect, and a progress line never breaks the command it reports on."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram_bot import render
from bot.adapters.telegram_bot.notifier import CAPTION_LIMIT, TelegramNotifier
from bot.core.errors import ChatUnavailable, DeliveryError, MessageGone
from bot.core.models import Brief, ChatRef, Document, Platform
from bot.core.pacing import Pacer
from tests.core.delivery_support import TimeMachine
from tests.fakes import T0, FixedClock

CHAT = ChatRef(Platform.TELEGRAM, "42")
TOPIC = ChatRef(Platform.TELEGRAM, "-1001", "7")
BRIEF = Brief(3, "k", "f", "Troops <cross>", "Fighting went on.", "https://n.example/3", "BBC", T0)


class FakeBot:
    """Records each call; ``failures[method]`` lists what the next calls do: raise the
    exception, or (``None``) succeed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[Exception | None]] = {}
        self._ids = 100

    def _call(self, method: str, **kw: Any) -> Any:
        self.calls.append((method, kw))
        queue = self.failures.get(method)
        if queue and (error := queue.pop(0)) is not None:
            raise error
        self._ids += 1
        return SimpleNamespace(message_id=self._ids)

    async def send_message(self, chat_id: int | str, text: str, **kw: Any) -> Any:
        return self._call("send_message", chat_id=chat_id, text=text, **kw)

    async def edit_message_text(self, text: str, **kw: Any) -> Any:
        return self._call("edit_message_text", text=text, **kw)

    async def send_document(self, chat_id: int | str, document: bytes, **kw: Any) -> Any:
        return self._call("send_document", chat_id=chat_id, document=document, **kw)

    def sent(self, method: str = "send_message") -> list[dict[str, Any]]:
        return [kw for m, kw in self.calls if m == method]


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def time() -> TimeMachine:
    return TimeMachine()


@pytest.fixture
def notifier(bot: FakeBot, time: TimeMachine, monkeypatch: pytest.MonkeyPatch) -> TelegramNotifier:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    pacer = Pacer(
        TelegramNotifier.pace, name="telegram", monotonic=time.monotonic, sleep=time.sleep
    )
    return TelegramNotifier(cast(Bot, bot), FixedClock(T0), pacer=pacer)


async def test_a_brief_goes_as_html_into_its_topic(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    assert await notifier.send_brief(TOPIC, BRIEF) == "101"
    [sent] = bot.sent()
    assert sent["chat_id"] == -1001 and sent["message_thread_id"] == 7
    assert sent["parse_mode"] == "HTML"
    assert sent["text"].startswith('<b><a href="https://n.example/3">Troops &lt;cross&gt;</a></b>')
    assert sent["link_preview_options"].is_disabled is True
    assert sent["reply_markup"] is None  # buttons are off by default


async def test_refused_html_is_sent_again_as_plain_text(
    bot: FakeBot, notifier: TelegramNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    bot.failures["send_message"] = [BadRequest("Can't parse entities: unsupported start tag")]
    with caplog.at_level(logging.WARNING, "bot.adapters.telegram_bot.notifier"):
        assert await notifier.send_brief(CHAT, BRIEF) == "101"
    first, second = bot.sent()
    assert first["parse_mode"] == "HTML" and "parse_mode" not in second
    assert second["text"] == render.brief(BRIEF, T0).plain
    assert second["text"].startswith("Troops <cross>\n")
    assert "HTML refused" in caplog.records[-1].getMessage()


async def test_a_request_refused_for_another_reason_is_not_sent_twice(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    bot.failures["send_message"] = [BadRequest("Message is too long")]
    with pytest.raises(DeliveryError, match="Telegram: Message is too long"):
        await notifier.send_brief(CHAT, BRIEF)
    assert len(bot.sent()) == 1


async def test_a_digest_that_fails_midway_raises_after_what_was_sent(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    briefs = [
        Brief(
            i,
            f"k{i}",
            "f",
            f"Story {i} " + "long " * 60,
            "Words.",
            f"https://n.example/{i}",
            "B",
            T0,
        )
        for i in range(60)
    ]
    parts = render.digest("Your 08:00 briefing: 60 stories", briefs)
    assert len(parts) >= 3
    failing = Forbidden("Forbidden: bot was kicked from the group chat")
    bot.failures["send_message"] = [None, failing]  # the second message fails
    with pytest.raises(ChatUnavailable) as raised:
        await notifier.send_digest(CHAT, "Your 08:00 briefing: 60 stories", briefs)
    assert raised.value.__cause__ is failing
    # The first part went out, the second was refused, and nothing more was tried.
    assert [kw["text"] for kw in bot.sent()] == [parts[0].html, parts[1].html]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BadRequest("Message to edit not found"), MessageGone),
        (BadRequest("Message can't be edited"), MessageGone),
        (Forbidden("Forbidden: bot was blocked by the user"), ChatUnavailable),
        (BadRequest("Bad Request: wrong file identifier"), DeliveryError),
    ],
)
async def test_edit_failures_say_whether_to_try_again(
    bot: FakeBot, notifier: TelegramNotifier, error: TelegramError, expected: type[Exception]
) -> None:
    bot.failures["edit_message_text"] = [error]
    with pytest.raises(expected) as raised:
        await notifier.edit_brief(CHAT, "55", BRIEF)
    assert type(raised.value) is expected


async def test_an_edit_that_changes_nothing_is_no_failure(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    bot.failures["edit_message_text"] = [
        BadRequest("Message is not modified: specified new message content is the same")
    ]
    await notifier.edit_brief(CHAT, "55", BRIEF)
    [edit] = bot.sent("edit_message_text")
    assert edit["message_id"] == 55 and edit["chat_id"] == 42


async def test_a_reply_to_a_chat_that_blocked_the_bot_is_dropped_with_a_log_line(
    bot: FakeBot, notifier: TelegramNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    bot.failures["send_message"] = [Forbidden("Forbidden: bot was blocked by the user")]
    with caplog.at_level(logging.WARNING):
        got = await notifier.reply(CHAT, render.text("Done."), label="reply to /status")
    assert got is None
    assert len(bot.sent()) == 1  # not retried
    assert any(
        "reply to /status to " in r.getMessage() and "blocked" in r.getMessage()
        for r in caplog.records
    )


async def test_a_reply_waits_out_flood_control_then_arrives(
    bot: FakeBot, notifier: TelegramNotifier, time: TimeMachine
) -> None:
    bot.failures["send_message"] = [RetryAfter(timedelta(seconds=7))]
    got = await notifier.reply(CHAT, render.text("Done."), label="reply")
    assert got is not None and got.message_id == 101
    assert len(bot.sent()) == 2
    assert sum(time.slept) >= 7.0  # the second try came after Telegram's wait


async def test_a_document_reply_has_its_caption_cut_to_the_limit(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    caption = "word " * 400
    document = Document("newsbrief-telegram-42.opml", b"<opml/>")
    got = await notifier.reply_document(TOPIC, document, caption, label="export")
    assert got is not None
    [sent] = bot.sent("send_document")
    assert sent["filename"] == "newsbrief-telegram-42.opml" and sent["document"] == b"<opml/>"
    assert sent["message_thread_id"] == 7
    assert render.utf16_len(sent["caption"]) <= CAPTION_LIMIT
    assert sent["caption"].startswith("word word")


async def test_progress_sends_once_then_edits_and_shrugs_off_a_failed_edit(
    bot: FakeBot, notifier: TelegramNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    show = notifier.progress(CHAT, label="progress of /import")
    await show("0 of 3 checked")
    bot.failures["edit_message_text"] = [BadRequest("Message to edit not found")]
    with caplog.at_level(logging.INFO, "bot.adapters.telegram_bot.notifier"):
        await show("1 of 3 checked")  # no exception: the import goes on
    await show("3 of 3 checked")
    assert [kw["text"] for kw in bot.sent()] == ["0 of 3 checked"]
    edits = bot.sent("edit_message_text")
    assert [(e["text"], e["message_id"]) for e in edits] == [
        ("1 of 3 checked", 101),
        ("3 of 3 checked", 101),
    ]
    assert "progress of /import in" in caplog.records[-1].getMessage()


async def test_progress_whose_first_line_failed_edits_nothing(
    bot: FakeBot, notifier: TelegramNotifier
) -> None:
    bot.failures["send_message"] = [Forbidden("Forbidden: bot was blocked by the user")]
    show = notifier.progress(CHAT, label="progress")
    await show("0 of 3 checked")
    await show("1 of 3 checked")
    assert bot.sent("edit_message_text") == []
