"""The README is the front door: it must stay true to the code."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.core.command_table import COMMANDS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_table() -> None:
    missing = [
        f"NEWSBRIEF_{name.upper()}"
        for name in Settings.model_fields
        if f"| `NEWSBRIEF_{name.upper()}` |" not in README
    ]
    assert missing == []


def test_every_chat_command_is_listed() -> None:
    missing = [c.name for c in COMMANDS if f"`/{c.name}" not in README]
    assert missing == []


def test_the_commands_table_shows_each_usage() -> None:
    rows = [f"/{c.name} {c.usage}".rstrip().replace("|", "\\|") for c in COMMANDS]
    missing = [row for row in rows if f"| `{row}`" not in README and f", `{row}`" not in README]
    assert missing == []


def test_setup_commands_match_ci() -> None:
    assert "make run" in README and "make test" in README
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "make test" in ci
