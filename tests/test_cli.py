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


def newsbrief(
    *args: str, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSBRIEF_SUMMARIZER": "lead", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


REPORT = [
    "Engineers said on Tuesday that the river bridge would reopen to traffic next Monday "
    "after repairs costing 3 million dollars.",
    "The work began in March after inspectors found cracks in two of the steel supports.",
    "Drivers have used a detour through the town centre since then, adding up to twenty "
    "minutes to many journeys.",
]


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


def test_brief_of_an_article_page_reports_its_date_and_site(tmp_path: Path) -> None:
    page = shared_path("corpora", "article-pages", "aeb-cbsnews.com-7a664e40d2.html")
    done = newsbrief("brief", str(page), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert item["source"] == "CBS News"
    assert item["published"].startswith("2019-11-19")  # the page's metadata, not today


def test_brief_of_a_plain_text_file_one_paragraph_a_line(tmp_path: Path) -> None:
    (tmp_path / "report.txt").write_text("\n".join(REPORT) + "\n", encoding="utf-8")
    done = newsbrief("brief", "report.txt", "--json", "--title", "Bridge reopens", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert item["title"] == "Bridge reopens"
    assert item["summary"].startswith(REPORT[0])  # lead: the first sentences, whole
    assert item["link"] == (tmp_path / "report.txt").as_uri()
    # No database is opened, and nothing of Alembic or SQLAlchemy is logged.
    assert "alembic" not in done.stderr and "sqlalchemy" not in done.stderr
    assert not list(tmp_path.glob("**/*.db"))


def test_brief_of_standard_input_with_blank_line_paragraphs(tmp_path: Path) -> None:
    # Hard-wrapped lines inside blank-line paragraphs are joined; the short first line
    # without a full stop is the headline.
    wrapped = REPORT[0].replace(" would ", "\nwould ").replace(" after ", "\nAfter ", 1)
    text = f"River bridge to reopen\n\n{wrapped}\n\n{REPORT[1]}\n\n{REPORT[2]}\n"
    done = newsbrief("brief", "-", cwd=tmp_path, stdin=text)
    assert done.returncode == 0, done.stderr
    title, summary, *_ = done.stdout.splitlines()
    assert title == "River bridge to reopen"
    assert summary.startswith(REPORT[0].replace(" after ", " After ", 1))
    assert "INFO alembic" not in done.stderr


def test_brief_of_something_that_is_not_text_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    done = newsbrief("brief", "blob.bin", cwd=tmp_path)
    assert done.returncode == 1
    assert "neither a feed, an article page nor UTF-8 text" in done.stderr
    empty = newsbrief("brief", "-", cwd=tmp_path, stdin="  \n\n")
    assert empty.returncode == 1 and "standard input holds no text" in empty.stderr
    assert "Traceback" not in done.stderr + empty.stderr


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
