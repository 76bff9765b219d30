"""The command tables of docs/telegram.md and docs/discord.md are the core's command table:
every command, its usage (Telegram) or its options (Discord), and who may run it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.command_table import COMMANDS, Command, Who

DOCS = Path(__file__).resolve().parents[1] / "docs"
TELEGRAM_WHO = {
    Who.ANYONE: "anyone",
    Who.ADMINS: "administrators",
    Who.ADMINS_TO_CHANGE: "anyone to see, administrators to change",
}
DISCORD_WHO = {
    Who.ANYONE: "everyone",
    Who.ADMINS: "Manage Channels",
    Who.ADMINS_TO_CHANGE: "Manage Channels to change",
}


def rows(doc: str) -> dict[str, list[str]]:
    """The table rows of ``doc`` whose first cell is code, by that cell's code spans."""
    found: dict[str, list[str]] = {}
    for line in (DOCS / doc).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and cells[0].startswith("`/"):
            for code in re.findall(r"`([^`]+)`", cells[0]):
                found[code.replace("\\|", "|")] = cells
    return found


def discord_line(command: Command) -> str:
    options = sorted(command.params, key=lambda p: p.optional)
    words = [p.name if not p.optional else f"[{p.name}]" for p in options]
    return " ".join(["/news", *command.path, *words])


def test_every_command_is_in_the_telegram_table_with_its_rule() -> None:
    table = rows("telegram.md")
    wrong = {}
    for command in COMMANDS:
        usage = f"/{command.name} {command.usage}".rstrip()
        cells = table.get(usage)
        if cells is None or cells[-1] != TELEGRAM_WHO[command.who]:
            wrong[usage] = cells
    assert wrong == {}


def test_every_command_is_in_the_discord_table_with_its_rule() -> None:
    table = rows("discord.md")
    wrong = {}
    for command in COMMANDS:
        line = discord_line(command)
        cells = table.get(line)
        if cells is None or not cells[-1].endswith(DISCORD_WHO[command.who]):
            wrong[line] = cells
    assert wrong == {}


def test_the_tables_list_no_command_that_does_not_exist() -> None:
    telegram = {f"/{c.name} {c.usage}".rstrip() for c in COMMANDS}
    telegram |= {f"/{alias}" for c in COMMANDS for alias in c.aliases}
    discord = {discord_line(c) for c in COMMANDS}
    assert sorted(set(rows("telegram.md")) - telegram) == []
    assert sorted(set(rows("discord.md")) - discord) == []
