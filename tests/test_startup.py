"""Start-up failures: one message, no traceback, no password (issue 16 items 1 and 5, 13 item 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings, mask_secrets
from bot.core.errors import ConfigError
from bot.startup import StartupError, mask_url, open_database, unknown_settings

ROOT = Path(__file__).resolve().parents[1]
DOWN_URL = "postgresql+asyncpg://newsbrief:s3cr3tpw@127.0.0.1:1/newsbrief"


def run_bot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBRIEF_")}
    (cwd / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
    full_env = {
        **base,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "NEWSBRIEF_SUMMARIZER": "lead",
        "NEWSBRIEF_LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_message(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("newsbrief: ")
    return lines[0]


def test_database_down_is_one_message_with_the_password_masked(tmp_path: Path) -> None:
    result = run_bot(
        "run",
        cwd=tmp_path,
        NEWSBRIEF_DATABASE_URL=DOWN_URL,
        NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS="1",
    )
    assert result.returncode == 1
    line = one_message(result)
    assert "s3cr3tpw" not in result.stdout + result.stderr
    assert "NEWSBRIEF_DATABASE_URL=postgresql+asyncpg://newsbrief:***@127.0.0.1:1/newsbrief" in line
    assert "NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS" in line
    assert "start the database server" in line


def test_retry_log_line_masks_the_password(tmp_path: Path) -> None:
    result = run_bot(
        "run",
        cwd=tmp_path,
        NEWSBRIEF_DATABASE_URL=DOWN_URL,
        NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS="1",
        NEWSBRIEF_LOG_LEVEL="INFO",
    )
    assert result.returncode == 1
    assert "not reachable yet" in result.stderr
    assert "s3cr3tpw" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_db_upgrade_with_the_database_down_is_one_message(tmp_path: Path) -> None:
    result = run_bot(
        "db",
        "upgrade",
        cwd=tmp_path,
        NEWSBRIEF_DATABASE_URL=DOWN_URL,
        NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS="0",
    )
    assert result.returncode == 1
    assert "cannot reach the database" in one_message(result)
    assert "s3cr3tpw" not in result.stdout + result.stderr


def test_garbage_sqlite_file_is_one_message_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "news.db").write_bytes(b"this is no database " * 300)
    result = run_bot("run", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///news.db")
    assert result.returncode == 1
    line = one_message(result)
    assert "news.db" in line and "not a database" in line
    assert "restore it from a backup" in line
    # Nothing is lost: the damaged file is left as it was.
    assert (tmp_path / "news.db").read_bytes() == b"this is no database " * 300


def test_truncated_sqlite_file_is_one_message(tmp_path: Path) -> None:
    good = run_bot("db", "upgrade", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///a.db")
    assert good.returncode == 0, good.stderr
    (tmp_path / "b.db").write_bytes((tmp_path / "a.db").read_bytes()[:8192])
    result = run_bot("run", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///b.db")
    assert result.returncode == 1
    line = one_message(result)
    assert "b.db" in line and "malformed" in line


def test_directory_at_the_sqlite_path_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "news.db").mkdir()
    result = run_bot("run", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///news.db")
    assert result.returncode == 1
    line = one_message(result)
    assert "news.db" in line and "a directory is at that path" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_sqlite_file_is_one_message(tmp_path: Path) -> None:
    good = run_bot("db", "upgrade", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///a.db")
    assert good.returncode == 0, good.stderr
    (tmp_path / "a.db").chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        result = run_bot("run", cwd=tmp_path, NEWSBRIEF_DATABASE_URL="sqlite+aiosqlite:///a.db")
    finally:
        tmp_path.chmod(0o755)
    assert result.returncode == 1
    assert "read-only" in one_message(result)


def test_unknown_setting_names_the_nearest_known(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NEWSBRIEF_POLL_INTERVAL_SECOND=60\n# comment\nOTHER=1\n", encoding="utf-8")
    known = ["NEWSBRIEF_TELEGRAM_TOKEN", "NEWSBRIEF_POLL_INTERVAL_SECONDS", "NEWSBRIEF_LOG_LEVEL"]
    warnings = unknown_settings(
        known,
        {"NEWSBRIEF_TELEGRAM_TOKN": "x", "NEWSBRIEF_LOG_LEVEL": "INFO", "HOME": "/"},
        env_file,
    )
    assert warnings == [
        f"unknown setting NEWSBRIEF_POLL_INTERVAL_SECOND in {env_file} is ignored; "
        "did you mean NEWSBRIEF_POLL_INTERVAL_SECONDS?",
        "unknown setting NEWSBRIEF_TELEGRAM_TOKN in the environment is ignored; "
        "did you mean NEWSBRIEF_TELEGRAM_TOKEN?",
    ]


def test_unknown_setting_is_warned_once_at_start(tmp_path: Path) -> None:
    result = run_bot("feeds", "list", cwd=tmp_path, NEWSBRIEF_TELEGRAM_TOKN="123:abc")
    assert result.returncode == 0
    warned = [line for line in result.stderr.splitlines() if "unknown setting" in line]
    assert len(warned) == 1
    assert "did you mean NEWSBRIEF_TELEGRAM_TOKEN?" in warned[0]


def test_masking() -> None:
    assert mask_url(DOWN_URL) == "postgresql+asyncpg://newsbrief:***@127.0.0.1:1/newsbrief"
    assert mask_url("sqlite+aiosqlite:///data/x.db") == "sqlite+aiosqlite:///data/x.db"
    assert mask_url("not a url u://a:b@c") == "not a url u://a:***@c"
    assert mask_secrets("token 123:abc in x", ["123:abc"]) == "token *** in x"
    assert mask_secrets("see https://host:8080/a@b") == "see https://host:8080/a@b"


def test_settings_errors_mask_the_password_and_the_webhook_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(
            database_url="mysql://u:hunter2@db/x", telegram_webhook_secret="bad secret!hunter3"
        )
    text = str(caught.value)
    assert "NEWSBRIEF_DATABASE_URL" in text and "NEWSBRIEF_TELEGRAM_WEBHOOK_SECRET" in text
    assert "hunter2" not in text and "hunter3" not in text
    assert "mysql://u:***@db/x" in text


async def test_an_unreachable_database_is_retried_with_back_off() -> None:
    now = [0.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with pytest.raises(StartupError) as caught:
        await open_database(DOWN_URL, 10, sleep=sleep, monotonic=lambda: now[0])
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 2.5]
    assert "after 10 s" in str(caught.value)
    assert "s3cr3tpw" not in str(caught.value)
