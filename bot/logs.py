"""Logging set-up, done once at start by the command line.

- Console mode (no platform token): the terminal is the chat, so logs never go to stdout.
  They go to stderr at WARNING, unless ``NEWSBRIEF_LOG_LEVEL`` is set explicitly; library
  loggers (Alembic, APScheduler, httpx, ...) stay at WARNING unless the level is DEBUG.
- Service mode (a Telegram or Discord token): logs go to stderr at ``NEWSBRIEF_LOG_LEVEL``;
  httpx, Alembic and SQLAlchemy stay at WARNING unless the level is DEBUG.
- ``NEWSBRIEF_LOG_FORMAT=json`` prints one JSON object a line (time, level, logger, message,
  and exception when there is one), for log collectors.

Filters attached to loggers elsewhere (the Telegram adapter's token redactor on ``httpx``) run
before any handler, so they apply whatever the format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings

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
SERVICE_QUIET_LOGGERS = ("alembic", "httpx", "httpcore", "sqlalchemy")


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
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


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
