"""The command line: `newsbrief brief`, `feeds list`, `db upgrade`, `--help`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]


def newsbrief(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSBRIEF_SUMMARIZER": "lead", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_brief_of_a_feed_file_as_json(tmp_path: Path) -> None:
    feed = shared_path("corpora", "news-feeds", "bbc-news-frontpage-2026.xml")
    done = newsbrief("brief", str(feed), "--json", "--limit", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert len(items) == 3
    for item in items:
        assert set(item) == {"title", "link", "published", "summary", "source"}
        assert item["link"].startswith("https://www.bbc.")
        assert item["summary"] and item["title"] not in item["summary"]
        assert item["source"] == "BBC News"


def test_brief_of_an_article_page(tmp_path: Path) -> None:
    pages = shared_path("corpora", "article-pages")
    index = [json.loads(line) for line in (pages / "index.jsonl").read_text().splitlines()]
    page = next(p for p in index if p.get("body") and p["lang"] == "en")
    done = newsbrief("brief", str(pages / page["file"]), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    first_words = " ".join(item["summary"].split()[:6])
    assert first_words in " ".join(page["body"].split())  # extractive: taken from the article


def test_brief_of_a_missing_file_fails_clearly(tmp_path: Path) -> None:
    done = newsbrief("brief", str(tmp_path / "nope.html"), cwd=tmp_path)
    assert done.returncode == 1
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr


def test_feeds_list_and_db_upgrade(tmp_path: Path) -> None:
    listed = newsbrief("feeds", "list", cwd=tmp_path, NEWSBRIEF_FEEDS_FILE=str(ROOT / "feeds.yaml"))
    assert listed.returncode == 0 and "bbc-world" in listed.stdout
    db = f"sqlite+aiosqlite:///{tmp_path / 'x' / 'db.sqlite'}"
    upgraded = newsbrief("db", "upgrade", cwd=tmp_path, NEWSBRIEF_DATABASE_URL=db)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "x" / "db.sqlite").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["run", "--help"],
        ["brief", "--help"],
        ["feeds", "list", "--help"],
        ["db", "upgrade", "--help"],
    ],
)
def test_help_everywhere(tmp_path: Path, args: list[str]) -> None:
    done = newsbrief(*args, cwd=tmp_path)
    assert done.returncode == 0 and "usage: newsbrief" in done.stdout
