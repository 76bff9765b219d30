"""Where logs go (bot/logs.py): never on the console chat's stdout, one JSON object a line on
request, library loggers quiet unless NEWSBRIEF_LOG_LEVEL=DEBUG."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.logs import LIBRARY_LOGGERS, configure_logging, mask_in_logs
from tests.loopback import FeedServer
from tests.run_support import newsbrief_run

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _emit() -> None:
    logging.getLogger("bot.core.pipeline").info("polled 3 feeds")
    logging.getLogger("bot.core.pipeline").warning("feed x failed")
    logging.getLogger("apscheduler.executors.default").info("Running job poll")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate")


def test_console_mode_shows_warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBRIEF_LOG_LEVEL", raising=False)
    out = io.StringIO()
    configure_logging(load_settings(telegram_token="", discord_token=""), out)
    _emit()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].endswith("WARNING bot.core.pipeline: feed x failed")


def test_console_mode_with_an_explicit_level_keeps_libraries_quiet() -> None:
    out = io.StringIO()
    configure_logging(load_settings(telegram_token="", log_level="INFO"), out)
    _emit()
    text = out.getvalue()
    assert "polled 3 feeds" in text and "feed x failed" in text
    assert "apscheduler" not in text and "alembic" not in text


def test_debug_shows_library_lines() -> None:
    out = io.StringIO()
    configure_logging(load_settings(telegram_token="", log_level="DEBUG"), out)
    _emit()
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    text = out.getvalue()
    for needle in ("polled 3 feeds", "Running job poll", "setup plugin", "connect_tcp.started"):
        assert needle in text


def test_service_mode_logs_at_the_level_and_keeps_httpx_quiet() -> None:
    out = io.StringIO()
    configure_logging(load_settings(telegram_token=TOKEN, log_level="INFO"), out)
    _emit()
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot.../getMe")
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT feeds.id FROM feeds")
    text = out.getvalue()
    assert "polled 3 feeds" in text and "Running job poll" in text
    assert "HTTP Request" not in text and "setup plugin" not in text and "SELECT" not in text


def test_json_format_gives_one_object_a_line() -> None:
    out = io.StringIO()
    configure_logging(load_settings(telegram_token=TOKEN, log_level="INFO", log_format="json"), out)
    log = logging.getLogger("bot.app")
    log.info('a "quoted"\nmessage %d', 7)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("poll failed")
    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first["level"] == "INFO" and first["logger"] == "bot.app"
    assert first["message"] == 'a "quoted"\nmessage 7' and "exception" not in first
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and second["message"] == "poll failed"
    assert "ValueError: boom" in second["exception"]


def test_secrets_are_masked_in_messages_and_tracebacks_in_json() -> None:
    out = io.StringIO()
    configure_logging(
        load_settings(telegram_token=TOKEN, log_level="DEBUG", log_format="json"), out
    )
    mask_in_logs([TOKEN])
    mask_in_logs(["webhook-secret"])  # added to the same filter, not a second one
    assert [len(h.filters) for h in logging.getLogger().handlers] == [1]
    logging.getLogger("httpx").info(
        "HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN
    )
    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("telegram.ext.Updater").debug("webhook-secret failed", exc_info=True)
    logging.getLogger("bot.startup").warning("postgresql://bot:hunter2@db/news is down")
    text = out.getvalue()
    assert TOKEN not in text and "webhook-secret" not in text and "hunter2" not in text
    first, second, third = [json.loads(line) for line in text.splitlines()]
    assert "/bot***/getMe" in first["message"] and second["message"] == "*** failed"
    assert "RuntimeError: cannot reach https://api.telegram.org/bot***/getMe" in second["exception"]
    assert third["message"] == "postgresql://bot:***@db/news is down"


def test_a_bad_log_format_is_one_clear_message() -> None:
    from bot.core.errors import ConfigError

    with pytest.raises(ConfigError, match="NEWSBRIEF_LOG_FORMAT"):
        load_settings(log_format="xml")


async def test_the_console_run_puts_no_log_line_on_stdout(
    server: FeedServer, tmp_path: Path
) -> None:
    """Even at DEBUG (everything logs) the chat's stdout carries only replies; the logs,
    library lines included, are on stderr."""
    async with newsbrief_run(
        tmp_path,
        server.url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        NEWSBRIEF_LOG_LEVEL="DEBUG",
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"/subscribe loop-news\n")
        await proc.stdin.drain()
        async with asyncio.timeout(60):
            await server.polled.wait()
            await asyncio.sleep(1.5)  # another scheduler tick logs
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            stdout, _ = await proc.communicate()
            assert proc.returncode == 0
    out = stdout.decode()
    assert "Subscribed to Loopback News (loop-news)." in out
    for marker in (" DEBUG ", " INFO ", " WARNING ", "apscheduler", "alembic", "Traceback"):
        assert marker not in out, out
    err = (tmp_path / "stderr.log").read_text()
    assert "DEBUG apscheduler" in err or "INFO apscheduler" in err


async def test_the_default_console_run_is_quiet_on_stderr_too(
    server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Alembic plugin lines at start, no APScheduler lines each tick: only warnings."""
    monkeypatch.delenv("NEWSBRIEF_LOG_LEVEL", raising=False)
    async with newsbrief_run(tmp_path, server.url) as proc:
        async with asyncio.timeout(60):
            await server.polled.wait()
            await asyncio.sleep(1.5)  # another scheduler tick
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await proc.wait() == 0
    err = (tmp_path / "stderr.log").read_text()
    assert " INFO " not in err and " DEBUG " not in err, err


def test_service_mode_does_not_log_every_sql_statement() -> None:
    """SQLAlchemy's engine logs each statement at INFO once its logger is not at WARNING."""
    out = io.StringIO()
    configure_logging(load_settings(telegram_token=TOKEN, log_level="INFO"), out)
    assert not logging.getLogger("sqlalchemy.engine.Engine").isEnabledFor(logging.INFO)
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT feeds.id FROM feeds")
    assert out.getvalue() == ""
