"""Parsing the shared corpora: feedparser's own conformance files and real news feeds.

The corpora live in ``../shared/corpora`` next to the repository and are never copied into
it; each test is skipped with the reason when its corpus is absent.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest

from bot.core.errors import FeedParseError
from bot.core.text import plain_text
from bot.feeds.normalize import canonical_link
from bot.feeds.parse import parse_bytes
from tests.feeds.conftest import corpus

LATER = datetime(2030, 1, 1, tzinfo=UTC)  # "first seen": after every capture


def _parse(path: Path, url: str = "https://example.test/feed"):  # type: ignore[no-untyped-def]
    return parse_bytes("f", path.read_bytes(), {}, url, LATER)


def test_every_conformance_file_parses_without_an_unexpected_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = corpus("feedparser-tests")
    caplog.set_level(logging.ERROR)
    files = sorted(root.rglob("*.xml"))
    assert len(files) > 2000
    refused, wrong = [], []
    for path in files:
        data = path.read_bytes()
        base = "http://127.0.0.1:8097/" + path.relative_to(root).as_posix()
        reference = feedparser.parse(
            io.BytesIO(data),
            response_headers={"content-type": "application/xml", "content-location": base},
        )
        try:
            parsed = parse_bytes("f", data, {}, base, LATER)
        except FeedParseError:
            refused.append(path)
            assert not reference.entries, f"{path} has entries but was refused"
            continue
        if path.relative_to(root).parts[0] == "wellformed":
            expected = [
                e
                for e in reference.entries
                if plain_text(str(e.get("title") or ""))
                or canonical_link(str(e.get("feedburner_origlink") or e.get("link") or ""))
            ]
            if len(parsed.stories) != len(expected):
                wrong.append(path)
    assert wrong == []
    # Only documents that are not feeds at all (no version, no entries) are refused.
    assert len(refused) < 20, refused


# file: (entries, with a parsed date, with an image, first title, first link, first date)
GOLDEN = {
    "20minutos-2022.xml": (104, 104, 103, "MOCKS - Adriana Lastra dimite", None, None),
    "bbc-news-frontpage-2023.xml": (
        16, 16, 0, "Firm in data scandal 'made election boasts'",
        "https://www.bbc.co.uk/news/uk-politics-43532916", "2018-03-25T11:52:46+00:00",
    ),
    "bbc-news-frontpage-2026.xml": (
        27, 27, 27, "Relish and dread as Starmer",
        "https://www.bbc.com/news/articles/cq59xvdzjv7o", "2026-04-25T12:07:54+00:00",
    ),
    "cnn-topstories-2018.xml": (69, 64, 65, "The House Speaker ticks off", None, None),
    "cnn-world-2019.xml": (29, 26, 27, "Australia's deadly wildfires", None, None),
    "elpais-2020.xml": (81, 81, 80, "MOCKS - Giuseppe Conte: “Habría sido criminal", None, None),
    "guardian-us.xml": (55, 55, 55, "Trump State of the Union address", None, None),
    "heise-developer-atom-2016.xml": (15, 15, 12, "Java-Anwendungsserver: Red Hat", None, None),
    "heise-online-atom-2026.xml": (150, 150, 143, "Top 10: Das beste günstige Tablet", None, None),
    "ilmessaggero-trimmed.xml": (
        1, 1, 1, "Missili Polonia, cosa è successo?", None, "2022-11-15T23:38:15+00:00",
    ),
    "jn-pt-iso-8859-1.xml": (
        40, 40, 0, "Mãe de utente é a nova presidente da Raríssimas", None,
        "2018-01-03T13:47:00+00:00",
    ),
    "npr-news-2023.xml": (15, 15, 14, "Oscar Pistorius, Paralympian", None, None),
    "nyt-homepage-2023.xml": (25, 25, 20, "Can the Palestinian Authority", None, None),
    "nyt-world-2020.xml": (61, 61, 51, "Protesters Attack U.S. Embassy in Iraq", None, None),
    "quanta-magazine-2023.xml": (5, 5, 5, "Pierre de Fermat’s Link", None, None),
    "reuters-world-2018.xml": (
        10, 10, 0, "U.S. general says North Korea",
        "http://www.reuters.com/article/us-northkorea-missiles-usa/"
        "u-s-general-says-north-korea-not-demonstrated-all-components-of-icbm-idUSKBN1FJ23Z",
        "2018-01-30T17:29:57+00:00",
    ),
    "spiegel-trimmed.xml": (1, 1, 1, "07.02. – die Wochenvorschau", None, None),
    "uol-noticias-latin1-nodecl.xml": (
        15, 15, 4, "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
        None, "2018-09-24T22:42:40+00:00",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_news_feed_golden(name: str) -> None:
    path = corpus("news-feeds") / name
    if not path.exists():
        pytest.skip(f"{path} is not in the corpus")
    count, dated, images, title, link, date = GOLDEN[name]
    parsed = _parse(path)
    stories = parsed.stories
    assert len(stories) == count
    assert sum(s.published != LATER for s in stories) == dated
    assert sum(bool(s.image_url) for s in stories) == images
    assert stories[0].title.startswith(title)
    if link:
        assert stories[0].link == link
    if date:
        assert stories[0].published.isoformat() == date
    for story in stories:
        assert story.title and "\ufffd" not in story.title + story.summary
        query = parse_qs(urlsplit(story.link).query)
        assert "<" not in story.title and "#" not in story.link
        assert not any(k.startswith("utm_") for k in query), story.link
        assert story.key == story.link or story.key.startswith(("guid:", "title:"))


def test_encodings_and_quirks_survive() -> None:
    news = corpus("news-feeds")
    jn = (news / "jn-pt-iso-8859-1.xml").read_bytes()
    assert b"\r\n" in jn and b"ISO-8859-1" in jn.upper()[:100]
    uol = _parse(news / "uol-noticias-latin1-nodecl.xml")
    assert uol.warning  # undeclared encoding: a bozo warning, parsed anyway
    assert "Apucarana garante continuidade do Pré Aprendiz" in uol.stories[2].title
    elpais = _parse(news / "elpais-2020.xml")
    assert elpais.warning and "not well-formed" in elpais.warning  # a raw U+0007
    assert len(elpais.stories) == 81
    assert _parse(news / "bbc-news-frontpage-2026.xml").hint_seconds == 15 * 60  # <ttl>15
    assert _parse(news / "quanta-magazine-2023.xml").hint_seconds == 3600  # sy: hourly


def test_gb2312_feed_decodes() -> None:
    text = (
        '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>新闻</title>'
        "<item><title>国务院常务会议部署经济工作</title><link>https://news.qq.test/a</link>"
        "<pubDate>Mon, 24 Sep 2018 19:42:40 +0800</pubDate></item></channel></rss>"
    )
    parsed = parse_bytes("qq", text.encode("gb2312"), {}, "https://news.qq.test/rss", LATER)
    assert parsed.title == "新闻"
    assert parsed.stories[0].title == "国务院常务会议部署经济工作"
    assert parsed.stories[0].published.isoformat() == "2018-09-24T11:42:40+00:00"
