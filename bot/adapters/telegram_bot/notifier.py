"""``TelegramNotifier``: the ``Notifier`` port on python-telegram-bot, and the error edge.

Every send goes out as one ``sendMessage`` with ``parse_mode=HTML``; PTB is built without a
rate limiter, so it never sleeps or retries inside a send (the core ``Deliverer`` paces and
retries). Library errors are translated here, once:

- ``RetryAfter`` -> ``RateLimited(retry_after)``: the core reschedules the row.
- ``ChatMigrated`` -> ``ChatMoved(new ChatRef)``: the core re-keys the chat and resends.
- ``Forbidden``, or a ``BadRequest`` such as "chat not found", "not enough rights", "message
  thread not found" -> ``ChatUnavailable``: blocked, kicked, no rights, topic gone.
- a ``BadRequest`` about parsing entities: the same text is sent once more without markup
  (and the brief id logged).
- anything else (network errors, 5xx, timeouts) -> ``DeliveryError``: retried with back-off.

A progress line (``progress``: an import's "12 of 40 checked") is one message sent as a reply
and then edited (``editMessageText``) without the pacer: the core shows at most one line every
two seconds, and an edit Telegram refuses (429, "message is not modified") is logged and
skipped, never retried or fatal. A reply that carries a file (``/export``) is a
``sendDocument`` with the reply's text as its caption.
A pushed brief returns its ``message_id``; ``edit_brief`` rewrites it with ``editMessageText``
(living briefs, ``bot.core.edits``) within Telegram's 48-hour window (``edit_window``). "message
to edit not found" or "message can't be edited" -> ``MessageGone`` (never retried); "message is
not modified" counts as done.

Command replies (``reply``) go through the platform's ``Pacer`` (``bot.core.pacing``), the same
one the ``Deliverer`` drives for briefs: they wait their turn in the chat and the platform's
rate, and a 429 or a network error is retried after ``retry_after`` (or a back-off) instead of
being dropped; a reply that still fails is logged with the chat and the command.

Pace: 30 messages a second overall, one a second per private chat, 20 a minute per group or
channel (negative chat ids): Telegram's published limits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.adapters.telegram_bot import render
from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, MessageGone, RateLimited
from bot.core.models import Brief, ChatRef, Document, Platform
from bot.core.pacing import Pacer
from bot.core.ports import Clock, Pace, ShowProgress

logger = logging.getLogger(__name__)

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
PER_SECOND = 30.0
CAPTION_LIMIT = 1024
"""Longest caption of a file, in UTF-16 code units after entity parsing."""
_UNREACHABLE = (
    "chat not found",
    "not enough rights",
    "have no rights",
    "thread not found",
    "topic_closed",
    "topic_deleted",
    "user is deactivated",
    "need administrator rights",
)
_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")
EDIT_WINDOW = timedelta(hours=48)


def use_timedelta() -> None:
    """Make PTB hand out ``RetryAfter.retry_after`` as a ``timedelta``, without warnings.

    PTB reads the ``PTB_TIMEDELTA`` environment variable at every access (v22.2 to v22.x);
    without it, even constructing a ``RetryAfter`` emits a ``PTBDeprecationWarning``.
    """
    os.environ["PTB_TIMEDELTA"] = "true"


def chat_interval(chat: ChatRef) -> float:
    """Seconds between two messages to ``chat``: groups and channels have negative ids."""
    return GROUP_INTERVAL if chat.chat_id.startswith("-") else PRIVATE_INTERVAL


def telegram_chat_id(chat: ChatRef) -> int | str:
    """The ``chat_id`` parameter for ``chat`` (an int, or an ``@channel`` name)."""
    try:
        return int(chat.chat_id)
    except ValueError:
        return chat.chat_id


def thread_id(chat: ChatRef) -> int | None:
    """The ``message_thread_id`` parameter for ``chat`` (a forum topic), if any."""
    return int(chat.thread_id) if chat.thread_id else None


def seconds(value: timedelta | float) -> float:
    """A ``retry_after`` as seconds, whichever type PTB handed out."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_markup_error(exc: BadRequest) -> bool:
    """True when Telegram refused the message's HTML (not the chat or the request)."""
    return "parse entities" in exc.message.lower()


def translate(exc: TelegramError, chat: ChatRef) -> DeliveryError:
    """The core exception for a failed send to ``chat``."""
    if isinstance(exc, RetryAfter):
        return RateLimited(seconds(exc.retry_after), "Telegram flood control")
    if isinstance(exc, ChatMigrated):
        return ChatMoved(ChatRef(Platform.TELEGRAM, str(exc.new_chat_id), chat.thread_id))
    if isinstance(exc, Forbidden):
        return ChatUnavailable(exc.message)
    if isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in _UNREACHABLE):
        return ChatUnavailable(exc.message)
    if isinstance(exc, BadRequest) and any(s in exc.message.lower() for s in _GONE):
        return MessageGone(exc.message)
    return DeliveryError(f"Telegram: {exc.message}")


def markup(rendered: render.Rendered) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a rendered message, if it has buttons."""
    if not rendered.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rendered.buttons
        ]
    )


class TelegramNotifier:
    """Sends briefs, digests, notices and command replies to Telegram chats."""

    platform = Platform.TELEGRAM
    edit_window: timedelta = EDIT_WINDOW
    pace = Pace(
        per_chat_interval=PRIVATE_INTERVAL, per_second=PER_SECOND, chat_interval=chat_interval
    )

    def __init__(
        self,
        bot: Bot,
        clock: Clock,
        *,
        link_preview: bool = False,
        buttons: bool = False,
        pacer: Pacer | None = None,
    ) -> None:
        use_timedelta()
        self.pacer = pacer or Pacer(self.pace, name="telegram")
        self._bot = bot
        self._clock = clock
        self._link_preview = link_preview
        self._buttons = buttons

    # -- the Notifier port -----------------------------------------------------------------
    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> str | None:
        """Send one brief and return its message id; raises only ``DeliveryError`` and its
        subclasses."""
        message = render.brief(
            brief, self._clock.now(), alert_terms=alert_terms, buttons=self._buttons
        )
        label = f"brief {brief.id}"
        try:
            sent = await self.send(chat, message, label=label, preview=self._link_preview)
        except TelegramError as exc:
            raise translate(exc, chat) from exc
        return str(sent.message_id)

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        """Rewrite a pushed brief (``editMessageText``) with its sources as they are now."""
        message = render.brief(
            brief, self._clock.now(), alert_terms=alert_terms, buttons=self._buttons
        )
        preview = self._link_preview and bool(message.preview_url)
        options = LinkPreviewOptions(
            is_disabled=not preview, url=message.preview_url if preview else None
        )
        try:
            await self._bot.edit_message_text(
                message.html,
                chat_id=telegram_chat_id(chat),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                link_preview_options=options,
                reply_markup=markup(message),
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            raise translate(exc, chat) from exc
        except TelegramError as exc:
            raise translate(exc, chat) from exc

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        """Send a digest, split into several messages at story lines when long."""
        ids = ",".join(str(b.id) for b in briefs)
        await self._deliver(chat, render.digest(heading, briefs), f"digest of briefs {ids}")

    async def send_text(self, chat: ChatRef, text: str) -> None:
        """Send a plain notice."""
        await self._deliver(chat, render.plain_text(text), "notice")

    # -- for the command handlers ----------------------------------------------------------
    async def reply(
        self, chat: ChatRef, message: render.Rendered, *, label: str, preview: bool = False
    ) -> Message | None:
        """Send a command reply at the platform's pace, retried on 429 and network errors;
        None (logged with ``label``) when it could not be sent."""

        async def attempt() -> Message:
            try:
                return await self.send(chat, message, label=label, preview=preview)
            except TelegramError as exc:
                raise translate(exc, chat) from exc

        return await self.pacer.deliver(chat, attempt, label=label)

    async def reply_document(
        self, chat: ChatRef, document: Document, caption: str, *, label: str
    ) -> Message | None:
        """Send a file with a caption, paced and retried like ``reply``."""
        text = render.plain_text(caption, limit=CAPTION_LIMIT)[0]

        async def attempt() -> Message:
            try:
                return await self._bot.send_document(
                    telegram_chat_id(chat),
                    document.data,
                    filename=document.name,
                    caption=text.html,
                    parse_mode=ParseMode.HTML,
                    message_thread_id=thread_id(chat),
                )
            except TelegramError as exc:
                raise translate(exc, chat) from exc

        return await self.pacer.deliver(chat, attempt, label=label)

    def progress(self, chat: ChatRef, *, label: str) -> ShowProgress:
        """A progress line in ``chat``: the first text is sent, later ones edit it."""
        sent: list[Message | None] = []

        async def show(text: str) -> None:
            message = render.plain_text(text)[0]
            if not sent:
                sent.append(await self.reply(chat, message, label=label))
                return
            first = sent[0]
            if first is None:
                return  # it could not be sent: no edits either
            try:
                await self._bot.edit_message_text(
                    message.html,
                    chat_id=telegram_chat_id(chat),
                    message_id=first.message_id,
                    parse_mode=ParseMode.HTML,
                )
            except TelegramError as exc:
                logger.info("%s in %s not updated: %s", label, chat, exc)

        return show

    async def send(
        self, chat: ChatRef, message: render.Rendered, *, label: str, preview: bool = False
    ) -> Message:
        """Send one rendered message; PTB's exceptions propagate (handlers' error handler).

        When Telegram refuses the HTML, the same text goes again without markup.
        """
        options = LinkPreviewOptions(
            is_disabled=not (preview and message.preview_url),
            url=message.preview_url if preview and message.preview_url else None,
        )
        try:
            return await self._bot.send_message(
                telegram_chat_id(chat),
                message.html,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id(chat),
                link_preview_options=options,
                reply_markup=markup(message),
            )
        except BadRequest as exc:
            if not is_markup_error(exc):
                raise
            logger.warning("%s to %s: HTML refused (%s); sending plain text", label, chat, exc)
        return await self._bot.send_message(
            telegram_chat_id(chat),
            message.plain,
            message_thread_id=thread_id(chat),
            link_preview_options=options,
            reply_markup=markup(message),
        )

    async def _deliver(
        self,
        chat: ChatRef,
        messages: Sequence[render.Rendered],
        label: str,
        *,
        preview: bool = False,
    ) -> None:
        for message in messages:
            try:
                await self.send(chat, message, label=label, preview=preview)
            except TelegramError as exc:
                raise translate(exc, chat) from exc
