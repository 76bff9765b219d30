"""Logging set-up, done once at start by the command line.

- Console mode (no platform token): the terminal is the chat, so logs never go to stdout.
  They go to stderr at WARNING, unless ``NEWSBRIEF_LOG_LEVEL`` is set explicitly; library
  loggers (Alembic, APScheduler, httpx, ...) stay at WARNING unless the level is DEBUG.
- Service mode (a Telegram or Discord token): logs go to stderr at ``NEWSBRIEF_LOG_LEVEL``;
  httpx, Alembic and SQLAlchemy stay at WARNING unless the level is DEBUG.
- ``NEWSBRIEF_LOG_FORMAT=json`` prints one JSON object a line (time, level, logger, message,
  and exception when there is one), for log collectors.

Secrets never reach a log line at any level: ``mask_in_logs`` puts one ``MaskSecrets`` filter
on every handler of the root logger, so it sees the records of every logger, the libraries'
included (python-telegram-bot logs its base URL, token and all, at DEBUG while the application
is built). ``newsbrief`` installs it with every secret setting right after this set-up; the
Telegram adapter adds its token before it builds the application.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings, mask_secrets

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers of the libraries newsbrief uses; chatty at INFO (httpx logs every request URL).
LIBRARY_LOGGERS = (
    "alembic",
    "apscheduler",
    "httpx",
    "httpcore",
    "aiosqlite",
    "asyncio",
    "telegram",
    "discord",
    "sqlalchemy",
)
# In service mode only these are kept quiet at INFO: httpx URLs carry the Bot API token,
# Alembic lists its plugins at every start, and SQLAlchemy's engine logs every statement at
# INFO (it quiets itself to WARNING only while its logger is unset).
SERVICE_QUIET_LOGGERS = ("alembic", "httpx", "httpcore", "sqlalchemy", "aiosqlite")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
    and ``exception`` (the formatted traceback) when the record carries one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # formatted once, so that ``MaskSecrets`` could mask it
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class MaskSecrets(logging.Filter):
    """Replaces URL passwords and the given secrets by ``***`` in a record's message and in
    its traceback, whatever the level."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text, self.secrets)
        return True


_TRACEBACKS = logging.Formatter()


def mask_in_logs(secrets: Iterable[str]) -> None:
    """Mask ``secrets`` in every line of every handler of the root logger (one
    ``MaskSecrets`` per handler, extended on later calls)."""
    wanted = [s for s in secrets if s]
    for handler in logging.getLogger().handlers:
        mask = next((f for f in handler.filters if isinstance(f, MaskSecrets)), None)
        if mask is None:
            handler.addFilter(MaskSecrets(wanted))
        else:
            mask.secrets.update(wanted)


def is_console(settings: Settings) -> bool:
    """No platform token: ``newsbrief run`` chats on the terminal."""
    return settings.telegram_token is None and settings.discord_token is None


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Install the one stderr handler on the root logger and set the levels (see module doc).
    Replaces any handler installed before, so calling it twice does not double lines."""
    console = is_console(settings)
    debug = settings.log_level == "DEBUG"
    if console and "log_level" not in settings.model_fields_set:
        level = logging.WARNING  # the default INFO would interleave with the chat
    else:
        level = logging.getLevelName(settings.log_level)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = LIBRARY_LOGGERS if console else SERVICE_QUIET_LOGGERS
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if debug:
            library.setLevel(logging.NOTSET)  # DEBUG shows everything
        elif name in quiet:
            library.setLevel(max(logging.WARNING, level))
        else:
            library.setLevel(logging.NOTSET)
