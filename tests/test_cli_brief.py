"""``newsbrief brief`` in this process: how plain text becomes a story (the headline rule,
paragraphs), what a feed file prints, and one line on stderr with exit 1 for what holds nothing
to brief. (``tests/test_cli.py`` runs the command as a real process on the shared corpora.)"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli_brief import HEADLINE_MAX_WORDS, brief, plain_text_story
from bot.config import Settings, load_settings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "file:///tmp/report.txt"
LEAD = "Engineers said on Tuesday that the river bridge would reopen next Monday."
MORE = "The work began in March after inspectors found cracks in two supports."

RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loop Daily</title><link>https://loop.example/</link>
<item><title>Bridge to reopen</title><link>https://loop.example/1</link>
<guid>loop-1</guid><pubDate>Tue, 24 Nov 2026 09:00:00 GMT</pubDate>
<description>{LEAD} {MORE}</description></item>
<item><title>Storm expected</title><link>https://loop.example/2</link>
<guid>loop-2</guid><pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>
<description>Forecasters said a storm would reach the coast by Thursday night.</description></item>
</channel></rss>
"""


def _text(story: object) -> str:
    return str(getattr(story, "content_html", ""))


def test_a_short_first_line_without_a_full_stop_is_the_headline() -> None:
    story = plain_text_story(f"River bridge to reopen\n{LEAD}\n{MORE}", title="", url=URL, now=NOW)
    assert story is not None
    assert story.title == "River bridge to reopen"
    assert _text(story).split("\n") == [LEAD, MORE]
    assert story.link == story.key == URL and story.published == NOW


def test_a_first_line_that_ends_a_sentence_stays_in_the_text() -> None:
    story = plain_text_story(f"{LEAD}\n{MORE}", title="", url=URL, now=NOW)
    assert story is not None and story.title == ""
    assert _text(story).split("\n") == [LEAD, MORE]


def test_a_long_first_line_is_no_headline() -> None:
    long_line = " ".join(["word"] * (HEADLINE_MAX_WORDS + 1))
    story = plain_text_story(f"{long_line}\n{LEAD}", title="", url=URL, now=NOW)
    assert story is not None and story.title == ""
    assert _text(story).startswith(long_line)


def test_a_given_title_wins_and_keeps_the_first_line_as_text() -> None:
    story = plain_text_story(f"Dateline Kyiv\n{LEAD}", title="Bridge reopens", url=URL, now=NOW)
    assert story is not None and story.title == "Bridge reopens"
    assert _text(story).split("\n") == ["Dateline Kyiv", LEAD]


def test_a_single_line_is_never_taken_as_its_own_headline() -> None:
    story = plain_text_story("River bridge to reopen", title="", url=URL, now=NOW)
    assert story is not None and story.title == "" and _text(story) == "River bridge to reopen"


def test_blank_line_paragraphs_join_wrapped_lines_and_windows_line_ends() -> None:
    wrapped = LEAD.replace(" that ", "\r\nthat ")
    text = f"Bridge news\r\n\r\n{wrapped}\r\n  \r\n{MORE}\r\n"
    story = plain_text_story(text, title="", url=URL, now=NOW)
    assert story is not None and story.title == "Bridge news"
    assert _text(story).split("\n") == [LEAD, MORE]


def test_text_of_only_blank_lines_is_nothing() -> None:
    assert plain_text_story(" \n\t\n \r\n", title="", url=URL, now=NOW) is None
    assert plain_text_story("Headline only\n\n\n", title="", url=URL, now=NOW) is not None


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    return load_settings(summarizer="lead", summary_words=40)


async def test_a_feed_file_prints_one_block_per_entry(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "loop.xml").write_text(RSS, encoding="utf-8")
    assert await brief(settings, "loop.xml", as_json=False, limit=10) == 0
    out, err = capsys.readouterr()
    first, second = out.strip().split("\n\n")
    assert first.splitlines() == [
        "Bridge to reopen",
        f"{LEAD} {MORE}",
        "Loop Daily https://loop.example/1",
    ]
    assert second.splitlines()[0] == "Storm expected"
    assert err == ""


async def test_a_feed_file_as_json_honours_the_limit(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "loop.xml").write_text(RSS, encoding="utf-8")
    assert await brief(settings, str(tmp_path / "loop.xml"), as_json=True, limit=1) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item == {
        "title": "Bridge to reopen",
        "link": "https://loop.example/1",
        "published": "2026-11-24T09:00:00+00:00",
        "summary": f"{LEAD} {MORE}",
        "source": "Loop Daily",
    }


async def test_plain_text_on_standard_input_with_a_title(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = f"{LEAD}\n{MORE}\n".encode()
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    assert await brief(settings, "-", title="  Bridge reopens ", as_json=True, limit=10) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert item["title"] == "Bridge reopens"
    assert item["summary"].startswith(LEAD)
    assert item["link"] == "" and item["source"] == ""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "newsbrief: standard input holds no text to brief\n"),
        (b"\n  \n", "newsbrief: standard input holds no text to brief\n"),
        (
            bytes(range(128, 256)) * 8,
            "newsbrief: standard input is neither a feed, an article page nor UTF-8 text\n",
        ),
    ],
)
async def test_standard_input_with_nothing_to_brief_exits_1(
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(data)))
    assert await brief(settings, "-", as_json=False, limit=10) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == message


async def test_a_missing_file_or_a_folder_exits_1_naming_it(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.txt"
    assert await brief(settings, str(missing), as_json=False, limit=10) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"newsbrief: cannot read {missing}: ")
    assert "No such file or directory" in err and err.count("\n") == 1
    assert await brief(settings, str(tmp_path), as_json=False, limit=10) == 1
    assert "Is a directory" in capsys.readouterr().err
