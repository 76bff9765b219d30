"""``TelegramAdapter``: python-telegram-bot inside newsbrief's own event loop.

The application is driven by hand, never with ``run_polling`` (which would own the loop and
install signal handlers): ``start`` = ``initialize`` (``getMe``), ``setMyCommands``, then
``updater.start_polling`` (long polling, the default) or ``updater.start_webhook`` (when
``NEWSBRIEF_TELEGRAM_WEBHOOK_URL`` is set), then ``start``; ``stop`` undoes them in reverse.
Every request goes to ``{NEWSBRIEF_TELEGRAM_API_URL}/bot{token}/{method}``, so the whole bot
runs against a self-hosted Bot API server or a test fake as well as against Telegram.

PTB is built without a rate limiter and without a job queue: pacing and retries of pushes are
the core ``Deliverer``'s, and scheduling is newsbrief's. Updates are handled concurrently across
chats and in order within a chat (``updates.ChatOrderedProcessor``); a ``/subscribe <URL>``
that fetches runs as a task of its own, so a slow server holds up no chat, not even its own.
``PTB_TIMEDELTA`` is switched on (``notifier.use_timedelta``) so that
``RetryAfter.retry_after`` is a
``timedelta`` and PTB emits no deprecation warning: PTB offers no other switch.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram_bot.handlers import Handlers
from bot.adapters.telegram_bot.notifier import TelegramNotifier, use_timedelta
from bot.adapters.telegram_bot.updates import ChatOrderedProcessor
from bot.config import Settings
from bot.core.command_table import COMMANDS
from bot.core.commands import Commands
from bot.core.errors import ConfigError, NewsbriefError
from bot.core.i18n import DEFAULT, LANGUAGES, N_, _, using
from bot.core.pacing import Pacer
from bot.core.ports import Clock

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "my_chat_member")
CONCURRENT_UPDATES = 16
POLL_TIMEOUT = timedelta(seconds=30)


class TokenRedactor(logging.Filter):
    """Masks the bot token in log records: httpx logs every request URL at INFO, and a Bot
    API URL carries the token (``/bot<token>/sendMessage``)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "<token>"), None
        return True


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


START = N_("what this bot does and how to start")
"""Telegram clients send /start when a user opens the bot: an alias of /help, listed first."""


def bot_commands(language: str = DEFAULT) -> list[BotCommand]:
    """The command menu sent with ``setMyCommands`` for users of ``language``: /start, then
    ``COMMANDS`` with usage."""
    with using(language):
        menu = [BotCommand("start", _(START))]
        for c in COMMANDS:
            text = f"{_(c.description)} ({c.usage})" if c.usage else _(c.description)
            menu.append(BotCommand(c.name, text[:256]))
    return menu


async def set_menus(bot: Bot) -> None:
    """The default (English) menu, and one per other language (``language_code``)."""
    await bot.set_my_commands(bot_commands())
    for language in LANGUAGES:
        if language != DEFAULT:
            await bot.set_my_commands(bot_commands(language), language_code=language)


def build_application(settings: Settings) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application for ``settings`` (no I/O happens here)."""
    if settings.telegram_token is None:
        raise ConfigError(["NEWSBRIEF_TELEGRAM_TOKEN: not set"])
    api = settings.telegram_api_url
    return (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .job_queue(None)
        .concurrent_updates(ChatOrderedProcessor(CONCURRENT_UPDATES))
        .build()
    )


class TelegramAdapter:
    """The Telegram chat adapter (the ``ChatAdapter`` contract of ``bot.core.ports``)."""

    def __init__(
        self,
        settings: Settings,
        commands: Commands,
        *,
        clock: Clock | None = None,
        poll_timeout: timedelta = POLL_TIMEOUT,
        pacer: Pacer | None = None,
    ) -> None:
        use_timedelta()
        self._settings = settings
        self._poll_timeout = poll_timeout
        self._app = build_application(settings)
        self._redactor = TokenRedactor(self._app.bot.token)
        clock = clock or _UtcClock()
        self.notifier = TelegramNotifier(
            self._app.bot,
            clock,
            link_preview=settings.telegram_link_preview,
            buttons=settings.telegram_buttons,
            pacer=pacer,
        )
        Handlers(commands, self.notifier, clock).install(self._app)

    @property
    def username(self) -> str:
        """The bot's @username (known once started)."""
        return str(self._app.bot.username)

    async def start(self) -> None:
        """Connect, register the command menu, and begin receiving updates."""
        app = self._app
        logging.getLogger("httpx").addFilter(self._redactor)
        try:
            await app.initialize()
        except InvalidToken as exc:
            await app.shutdown()
            raise ConfigError(["NEWSBRIEF_TELEGRAM_TOKEN: Telegram refused the token"]) from exc
        except TelegramError as exc:
            await app.shutdown()
            raise NewsbriefError(
                f"cannot reach the Telegram Bot API at {self._settings.telegram_api_url}: {exc}"
            ) from exc
        try:
            await set_menus(app.bot)
            mode = await self._receive()
            await app.start()
        except BaseException:
            await self.stop()
            raise
        logger.info("Telegram bot @%s receiving updates by %s", app.bot.username, mode)

    async def _receive(self) -> str:
        updater = self._app.updater
        assert updater is not None  # built with the default updater
        s = self._settings
        if s.telegram_webhook_url is None:
            await updater.start_polling(
                timeout=self._poll_timeout, allowed_updates=list(ALLOWED_UPDATES)
            )
            return "long polling"
        secret = s.telegram_webhook_secret
        if secret is None:
            logger.warning("NEWSBRIEF_TELEGRAM_WEBHOOK_SECRET is not set: anyone can post updates")
        await updater.start_webhook(
            listen=s.telegram_webhook_listen,
            port=s.telegram_webhook_port,
            url_path=urlsplit(s.telegram_webhook_url).path.strip("/"),
            webhook_url=s.telegram_webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=list(ALLOWED_UPDATES),
        )
        return f"webhook on {s.telegram_webhook_listen}:{s.telegram_webhook_port}"

    async def stop(self) -> None:
        """Stop receiving, finish running handlers, close connections (reverse of start)."""
        app = self._app
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        logging.getLogger("httpx").removeFilter(self._redactor)
