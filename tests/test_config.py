"""Settings and feeds.yaml validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_catalogue, load_settings
from bot.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    settings = load_settings()
    assert settings.poll_interval_seconds == 600
    assert settings.database_url == "sqlite+aiosqlite:///data/newsbrief.db"
    assert settings.telegram_token is None and settings.discord_token is None


def test_every_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBRIEF_POLL_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("NEWSBRIEF_LOG_LEVEL", "LOUD")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    for name in ("POLL_INTERVAL_SECONDS", "DATABASE_URL", "LOG_LEVEL"):
        assert f"NEWSBRIEF_{name}" in text
    assert "sqlite+aiosqlite:///" in text  # the fix is named


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEWSBRIEF_TELEGRAM_TOKEN", "123:SECRET")
    settings = load_settings()
    assert "SECRET" not in repr(settings)
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == "123:SECRET"


def test_bad_setting_exits_2_with_one_message(tmp_path: Path) -> None:
    env = {
        "NEWSBRIEF_POLL_INTERVAL_SECONDS": "often",
        "NEWSBRIEF_SUMMARY_WORDS": "3",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "feeds", "list"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "NEWSBRIEF_POLL_INTERVAL_SECONDS" in done.stderr
    assert "NEWSBRIEF_SUMMARY_WORDS" in done.stderr
    assert "Traceback" not in done.stderr


def test_shipped_catalogue_is_valid_and_varied() -> None:
    feeds = load_catalogue(ROOT / "feeds.yaml")
    assert len(feeds) >= 20
    assert len({f.url.split("/")[2] for f in feeds}) >= 20  # varied publishers
    topics = {t for f in feeds for t in f.topics}
    assert {"world", "europe", "ukraine", "tech"} <= topics
    assert {f.language for f in feeds} >= {"en", "de", "es"}


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("feeds:\n  - {id: a, title: A, url: 'ftp://x'}\n", "http://, https:// or file://"),
        ("feeds:\n  - {id: A B, title: A, url: 'https://x'}\n", "lower-case"),
        ("feeds:\n  - {id: a, title: A, url: 'https://x', colour: red}\n", "colour"),
        (
            "feeds:\n  - {id: a, title: A, url: 'https://x'}\n  - {id: a, title: B, url: 'https://y'}\n",
            "duplicate feed id 'a'",
        ),
        ("feeds: [", "feeds.yaml, line 1, column 9: not valid YAML: expected the node content"),
        (
            "feeds:\n  - id: a\n   title: b\n",
            "feeds.yaml, line 3, column 4: not valid YAML: expected <block end>, but found "
            "'<block mapping start>' (while parsing a block collection at line 2)",
        ),
    ],
)
def test_catalogue_errors(tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as info:
        load_catalogue(path)
    assert expected in str(info.value)
    assert "<unicode string>" not in str(info.value) and "\n" not in str(info.value)


def test_missing_catalogue(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NEWSBRIEF_FEEDS_FILE"):
        load_catalogue(tmp_path / "nope.yaml")


def test_an_unreadable_catalogue_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "latin1.yaml").write_bytes(b"feeds: []  # caf\xe9\n")
    for name in ("dir.yaml", "latin1.yaml"):
        with pytest.raises(ConfigError) as info:
            load_catalogue(tmp_path / name)
        assert str(info.value).startswith(f"{tmp_path / name}: cannot read it (")
