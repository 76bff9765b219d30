"""``TelegramAdapter``: python-telegram-bot inside newsbrief's own event loop.

The application is driven by hand, never with ``run_polling`` (which would own the loop and
install signal handlers): ``start`` = ``initialize`` (``getMe``), ``setMyCommands``, then
``updater.start_polling`` (long polling, the default) or ``updater.start_webhook`` (when
``NEWSBRIEF_TELEGRAM_WEBHOOK_URL`` is set), then ``start``; ``stop`` undoes them in reverse.
Built with ``elected=True`` (as ``newsbrief run`` builds it), ``start`` does not long-poll:
only the worker holding the cluster's receiver role polls (``start_receiving`` when it gains
the role, ``stop_receiving`` when it loses it, see ``bot.storage.leader``), since Telegram
answers a second ``getUpdates`` with 409 Conflict. Every worker sends; with a webhook every
worker serves the updates its load balancer hands it.
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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import Bot, BotCommand
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.adapters.telegram_bot.handlers import Handlers
from bot.adapters.telegram_bot.notifier import TelegramNotifier, use_timedelta
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.adapters.telegram_bot.updates import ChatOrderedProcessor
from bot.core.command_table import COMMANDS
from bot.core.commands import Commands
from bot.core.errors import ConfigError, StartupError
from bot.core.i18n import DEFAULT, LANGUAGES, N_, _, using
from bot.core.pacing import Pacer
from bot.core.ports import Clock, SystemClock
from bot.logs import MaskSecrets, mask_in_logs
from bot.retry import retrying

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "channel_post", "callback_query", "my_chat_member")
CONCURRENT_UPDATES = 16
POLL_TIMEOUT = timedelta(seconds=30)
Claim = Callable[[str], Awaitable[None]]
"""Called with the bot's id at start; raises to refuse the bot."""


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


def build_application(settings: TelegramSettings) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application for ``settings`` (no I/O happens here); from now on the token is
    masked in every log line (``bot.logs.mask_in_logs``)."""
    if settings.telegram_token is None:
        raise ConfigError(["NEWSBRIEF_TELEGRAM_TOKEN: not set"])
    token = settings.telegram_token.get_secret_value()
    # Before PTB sees the token: it logs its base URL, token and all, at DEBUG.
    mask_in_logs([token])
    api = settings.telegram_api_url
    return (
        ApplicationBuilder()
        .token(token)
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
        settings: TelegramSettings,
        commands: Commands,
        *,
        clock: Clock | None = None,
        poll_timeout: timedelta = POLL_TIMEOUT,
        pacer: Pacer | None = None,
        claim: Claim | None = None,
        elected: bool = False,
    ) -> None:
        """``claim`` is awaited with the bot's id once Telegram has told it (``getMe``),
        before any update is taken; it raises to refuse the bot (``bot.app``)."""
        use_timedelta()
        self._claim = claim
        self._settings = settings
        self._elected = elected
        self._poll_timeout = poll_timeout
        self._app = build_application(settings)
        self._redactor = MaskSecrets([self._app.bot.token])  # for handlers added later
        clock = clock or SystemClock()
        self.notifier = TelegramNotifier(
            self._app.bot,
            clock,
            link_preview=settings.telegram_link_preview,
            buttons=settings.telegram_buttons,
            pacer=pacer,
        )
        Handlers(commands, self.notifier, clock).install(self._app)

    @property
    def long_polling(self) -> bool:
        """True when updates come by ``getUpdates`` (no webhook URL set)."""
        return self._settings.telegram_webhook_url is None

    @property
    def ready(self) -> bool:
        """Connected: started (``getMe`` answered), and receiving when it should be."""
        updater = self._app.updater
        receiving = updater is not None and updater.running
        return self._app.running and (receiving or (self.long_polling and self._elected))

    @property
    def username(self) -> str:
        """The bot's @username (known once started)."""
        return str(self._app.bot.username)

    async def start(self) -> None:
        """Connect, register the command menu, and begin receiving updates.

        Raises:
            ConfigError: Telegram rejected the token (exit 2).
            StartupError: the Bot API stayed unreachable for
                ``NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS``, or refused ``getMe`` (exit 1).
        """
        app = self._app
        logging.getLogger("httpx").addFilter(self._redactor)
        try:
            await self._connect()
            if self._claim is not None:
                await self._claim(str(app.bot.id))
            await set_menus(app.bot)
            mode = await self._receive()
            await app.start()
        except BaseException as exc:
            await self.stop()
            if isinstance(exc, TelegramError):  # after getMe: setMyCommands, setWebhook
                raise StartupError(
                    f"the Telegram Bot API at NEWSBRIEF_TELEGRAM_API_URL="
                    f"{self._settings.telegram_api_url} failed during start-up ({exc}): start "
                    "again; with a webhook, check NEWSBRIEF_TELEGRAM_WEBHOOK_URL"
                ) from exc
            raise
        logger.info("Telegram bot @%s receiving updates by %s", app.bot.username, mode)

    async def _connect(self) -> None:
        """``getMe`` (PTB's ``initialize``), retried while the Bot API cannot be reached."""
        s = self._settings
        api = f"NEWSBRIEF_TELEGRAM_API_URL={s.telegram_api_url}"
        timeout = s.platform_startup_timeout_seconds
        try:
            await retrying(
                self._app.initialize,
                transient=(NetworkError,),
                timeout_seconds=timeout,
                what=f"the Telegram Bot API at {s.telegram_api_url}",
            )
        except InvalidToken:
            raise ConfigError(
                [
                    f"NEWSBRIEF_TELEGRAM_TOKEN: the Telegram Bot API at {s.telegram_api_url} "
                    "rejected the token (getMe answered 401 Unauthorized or 404 Not Found): set "
                    "the token @BotFather gave the bot (/mybots, API Token; it looks like "
                    "123456789:AAF...), or check NEWSBRIEF_TELEGRAM_API_URL"
                ]
            ) from None
        except NetworkError as exc:
            raise StartupError(
                f"cannot reach the Telegram Bot API at {api} after {timeout:g} s ({exc}): check "
                "the network connection (and HTTPS_PROXY, if a proxy is needed) and "
                "NEWSBRIEF_TELEGRAM_API_URL, or raise NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS"
            ) from None
        except TelegramError as exc:
            raise StartupError(
                f"the Telegram Bot API at {api} refused getMe ({exc}): check "
                "NEWSBRIEF_TELEGRAM_API_URL and NEWSBRIEF_TELEGRAM_TOKEN"
            ) from None

    async def _receive(self) -> str:
        updater = self._app.updater
        assert updater is not None  # built with the default updater
        s = self._settings
        if s.telegram_webhook_url is None:
            if self._elected:
                return "long polling while this worker holds the receiver role"
            await self.start_receiving()
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

    async def start_receiving(self) -> None:
        """Begin long polling (this worker is now the cluster's receiver)."""
        updater = self._app.updater
        if updater is not None and not updater.running:
            await updater.start_polling(
                timeout=self._poll_timeout, allowed_updates=list(ALLOWED_UPDATES)
            )
            logger.info("Telegram: this worker now long-polls for updates")

    async def stop_receiving(self) -> None:
        """Stop long polling (another worker may take the receiver role)."""
        updater = self._app.updater
        if self.long_polling and updater is not None and updater.running:
            await updater.stop()
            logger.info("Telegram: this worker stopped long polling")

    async def stop(self) -> None:
        """Stop receiving, finish running handlers, close connections (reverse of start)."""
        app = self._app
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        await app.bot.shutdown()  # the connections of a getMe that failed (a no-op otherwise)
        logging.getLogger("httpx").removeFilter(self._redactor)
