"""``bot.__main__.main`` in this process: every failure is one line on stderr with the right exit
code (2 bad settings or usage, 1 the work failed), secrets masked; the listing and OPML commands
print what they say. (``tests/test_cli.py`` runs the same entry point as real processes.)"""

from __future__ import annotations

import asyncio
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import __main__ as cli
from bot import logs
from bot.cli_opml import parse_chat
from bot.core.errors import StartupError
from bot.core.models import ChatRef, Feed, Platform
from bot.storage import open_storage
from bot.storage.single_process import DatabaseInUse

CATALOGUE = """\
feeds:
  - {id: bbc-world, title: BBC World, url: "https://bbc.example/rss", topics: [world, europe],
     language: en}
  - {id: ars-tech, title: Ars Technica, url: "https://ars.example/rss", topics: [tech]}
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory (no .env), a catalogue, a SQLite file; logging untouched."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("NEWSBRIEF_"):
            monkeypatch.delenv(name)
    (tmp_path / "feeds.yaml").write_text(CATALOGUE)
    monkeypatch.setenv("NEWSBRIEF_FEEDS_FILE", str(tmp_path / "feeds.yaml"))
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'nb.db'}")
    monkeypatch.setattr(logs, "configure_logging", lambda settings: None)
    monkeypatch.setattr(logs, "mask_in_logs", lambda secrets: None)
    return tmp_path


def _lines(text: str) -> list[str]:
    return text.strip().splitlines()


def test_feeds_list_prints_one_aligned_line_a_feed(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["feeds", "list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    first, second = _lines(out)
    assert first.split() == ["bbc-world", "world,europe", "en", "https://bbc.example/rss"]
    assert second.split() == ["ars-tech", "tech", "https://ars.example/rss"]
    assert first.index("https://") == second.index("https://")  # columns line up


def test_feeds_list_of_an_empty_catalogue_says_how_to_add_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / "feeds.yaml").write_text("feeds: []\n")
    assert cli.main(["feeds", "list"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"newsbrief: {home / 'feeds.yaml'} lists 0 feeds: add one under")


@pytest.mark.parametrize(
    ("yaml_text", "problem"),
    [
        (
            CATALOGUE + '  - {id: bbc-world, title: Again, url: "https://x.example/rss"}\n',
            "duplicate feed id 'bbc-world'",
        ),
        ("feeds:\n  - {id: Bad_Id, title: T, url: 'https://x.example/'}\n", "feeds.0.id"),
        ("feeds: [\n", "not valid YAML"),
    ],
)
def test_a_bad_catalogue_exits_2_with_one_message(
    home: Path, capsys: pytest.CaptureFixture[str], yaml_text: str, problem: str
) -> None:
    (home / "feeds.yaml").write_text(yaml_text)
    assert cli.main(["feeds", "list"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = _lines(err)
    assert line.startswith(f"newsbrief: {home / 'feeds.yaml'}") and problem in line


def test_a_bad_setting_exits_2_and_never_shows_a_password(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", "mysql://newsbrief:hunter2@db/newsbrief")
    assert cli.main(["feeds", "list"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = _lines(err)
    assert line.startswith("newsbrief: NEWSBRIEF_DATABASE_URL: ")
    assert "sqlite+aiosqlite:///path/to/file.db" in line  # the fix is named
    assert "hunter2" not in err and "newsbrief:***@db" in line


def test_several_bad_settings_are_listed_together(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_POLL_INTERVAL_SECONDS", "0")
    monkeypatch.setenv("NEWSBRIEF_LOG_FORMAT", "yaml")
    assert cli.main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert _lines(err)[0] == "newsbrief: invalid configuration:"
    named = [line.split(":")[0].strip(" -") for line in _lines(err)[1:]]
    assert sorted(named) == ["NEWSBRIEF_LOG_FORMAT", "NEWSBRIEF_POLL_INTERVAL_SECONDS"]
    assert not (home / "nb.db").exists()  # nothing was opened


def test_db_upgrade_creates_the_database_and_names_the_driver(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == "database is up to date (sqlite+aiosqlite)\n"
    assert (home / "nb.db").stat().st_size > 0
    assert cli.main(["db", "upgrade"]) == 0  # a second upgrade has nothing to do
    assert capsys.readouterr().out == "database is up to date (sqlite+aiosqlite)\n"


def test_db_upgrade_on_a_directory_exits_1_naming_the_fix(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "adir").mkdir()
    monkeypatch.setenv("NEWSBRIEF_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'adir'}")
    assert cli.main(["db", "upgrade"]) == 1
    [line] = _lines(capsys.readouterr().err)
    assert line.startswith(f"newsbrief: cannot open the SQLite database {home / 'adir'}")
    assert line.endswith("a directory is at that path: point NEWSBRIEF_DATABASE_URL at a file path")


def test_run_refused_by_another_process_exits_2(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def held(settings: object) -> None:
        raise DatabaseInUse("another newsbrief (pid 4242) already uses nb.db")

    monkeypatch.setattr("bot.app.run", held)
    assert cli.main(["run"]) == 2
    assert capsys.readouterr().err == (
        "newsbrief: another newsbrief (pid 4242) already uses nb.db\n"
    )


def test_a_startup_failure_exits_1_with_the_tokens_masked(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "123456:AAE-secret-token"
    monkeypatch.setenv("NEWSBRIEF_TELEGRAM_TOKEN", token)

    async def unreachable(settings: object) -> None:
        raise StartupError(f"cannot reach https://api.telegram.org/bot{token}/getMe: timed out")

    monkeypatch.setattr("bot.app.run", unreachable)
    assert cli.main(["run"]) == 1
    err = capsys.readouterr().err
    assert token not in err
    assert err == "newsbrief: cannot reach https://api.telegram.org/bot***/getMe: timed out\n"


def test_opml_export_writes_the_chats_feeds_to_stdout_and_to_a_file(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def seed() -> None:
        storage = await open_storage(f"sqlite+aiosqlite:///{home / 'nb.db'}")
        await storage.sync_catalogue([Feed("bbc-world", "https://bbc.example/rss", "BBC World")])
        await storage.subscribe(
            ChatRef(Platform.TELEGRAM, "-100"), ["bbc-world"], datetime(2026, 1, 1, tzinfo=UTC)
        )
        await storage.close()

    asyncio.run(seed())
    assert cli.main(["opml", "export", "--chat", "telegram:-100"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("<?xml") and 'xmlUrl="https://bbc.example/rss"' in out
    assert err == ""
    target = home / "out.opml"
    assert cli.main(["opml", "export", "--chat", "telegram:-100", "-o", str(target)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == f"1 feeds of telegram:-100 written to {target}\n"
    assert b'xmlUrl="https://bbc.example/rss"' in target.read_bytes()
    assert cli.main(["opml", "export", "--chat", "discord:7"]) == 0  # a chat with no feeds
    assert "<outline" not in capsys.readouterr().out


def test_opml_export_to_a_missing_folder_exits_1(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = home / "no" / "such" / "dir" / "out.opml"
    assert cli.main(["opml", "export", "--chat", "telegram:1", "-o", str(target)]) == 1
    assert capsys.readouterr().err == (
        f"newsbrief: cannot write {target}: No such file or directory\n"
    )


def test_opml_import_of_standard_input_that_is_no_opml_exits_1(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(b"feeds: [a, b]\n")))
    assert cli.main(["opml", "import", "-", "--chat", "telegram:1"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    [line] = _lines(err)
    assert line.startswith("newsbrief: -: ")
    assert not (home / "nb.db").exists()  # a bad file opens no database


def test_opml_import_of_a_folder_exits_1(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["opml", "import", str(home), "--chat", "telegram:1"]) == 1
    assert capsys.readouterr().err == f"newsbrief: cannot read {home}: Is a directory\n"


@pytest.mark.parametrize(
    ("value", "chat"),
    [
        ("telegram:-1001234567890", ChatRef(Platform.TELEGRAM, "-1001234567890")),
        ("Discord:98765/4321", ChatRef(Platform.DISCORD, "98765", "4321")),
        ("console:console", ChatRef(Platform.CONSOLE, "console")),
    ],
)
def test_parse_chat_reads_platform_id_and_thread(value: str, chat: ChatRef) -> None:
    assert parse_chat(value) == chat


@pytest.mark.parametrize("value", ["telegram", "telegram:", "slack:1", ":5", "-100"])
def test_a_bad_chat_is_a_usage_error_naming_the_form(
    home: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["opml", "export", "--chat", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --chat: {value!r} is not PLATFORM:ID" in err
    assert "PLATFORM one of telegram, discord, console" in err
    assert not (home / "nb.db").exists()


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])
    assert exited.value.code == 2
    assert "usage: newsbrief" in capsys.readouterr().err
