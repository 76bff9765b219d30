"""docs/operations.md's Troubleshooting lists every start-up and stop message the code prints,
and the README links to it (issue 16 item 8)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = [
    "is ignored",
    "; did you mean",
    "no such file; set NEWSBRIEF_FEEDS_FILE or create it",
    "cannot read it (",
    "not valid YAML",
    "duplicate feed id",
    "lists 0 feeds: add one under",
    "cannot reach the database at NEWSBRIEF_DATABASE_URL=",
    "cannot open the SQLite database",
    "another newsbrief process uses the SQLite database",
    "NEWSBRIEF_TELEGRAM_TOKEN: the Telegram Bot API at",
    "cannot reach the Telegram Bot API at",
    "refused getMe",
    "failed during start-up",
    "NEWSBRIEF_DISCORD_TOKEN: the Discord API at",
    "cannot reach the Discord API at NEWSBRIEF_DISCORD_API_URL=",
    "the Discord gateway at NEWSBRIEF_DISCORD_GATEWAY_URL=",
    "cannot register commands there",
    "the Discord client failed to start",
    "not reachable yet",
    "stopping, finishing",
    "stopping at once",
]


def test_every_message_is_in_the_code_and_in_troubleshooting() -> None:
    code = "\n".join(
        " ".join(p.read_text(encoding="utf-8").split()) for p in (ROOT / "bot").rglob("*.py")
    )
    code = code.replace('" "', "").replace('f"', '"')  # adjacent string literals joined
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = " ".join(docs.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0].split())
    assert [m for m in MESSAGES if m not in code] == []
    assert [m for m in MESSAGES if m not in section] == []


def test_the_readme_links_to_troubleshooting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/operations.md#troubleshooting)" in readme
