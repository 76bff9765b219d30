"""Entry conversion: links, images, dates, text, keys, hints and refusals."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import pytest

from bot.core.errors import FeedParseError
from bot.core.text import plain_text
from bot.feeds.dates import parse_loose_date
from bot.feeds.normalize import canonical_link, first_image
from bot.feeds.parse import parse_bytes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'
FB = 'xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'


def doc(items: str, channel: str = "", ns: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel>'
        f"<title>T</title><link>https://site.test/</link>{channel}{items}</channel></rss>"
    ).encode()


def one(item: str, ns: str = "", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    parsed = parse_bytes(
        "f", doc(f"<item>{item}</item>", ns=ns), headers or {}, "https://site.test/rss", NOW
    )
    (story,) = parsed.stories
    return story


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "https://www.bbc.co.uk/news/x?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.co.uk/news/x",
        ),
        ("HTTPS://Example.COM:443/a?utm_source=x&id=5#frag", "https://example.com/a?id=5"),
        ("http://example.com:8080/a?fbclid=1&gclid=2&b=3", "http://example.com:8080/a?b=3"),
        ("http://example.com", "http://example.com/"),
        ("javascript:alert(1)", ""),
        ("mailto:x@example.com", ""),
        ("", ""),
    ],
)
def test_canonical_link(raw: str, clean: str) -> None:
    assert canonical_link(raw) == clean


def test_feedburner_origlink_and_tracking_are_resolved() -> None:
    story = one(
        "<title>T</title><link>http://rss.cnn.test/~r/x/~3/abc/story.html</link>"
        "<feedburner:origLink>https://cnn.test/story.html?utm_source=feedburner</feedburner:origLink>",
        ns=FB,
    )
    assert story.link == story.key == "https://cnn.test/story.html"


def test_relative_links_resolve_against_the_final_url() -> None:
    story = one("<title>T</title><link>/news/1</link>")
    assert story.link == "https://site.test/news/1"


def test_keys_without_links_are_namespaced_by_feed() -> None:
    with_guid = one("<title>T</title><guid isPermaLink='false'>42</guid>")
    title_only = one("<title>Only a title</title>")
    assert with_guid.key == "guid:f:42" and with_guid.link == ""
    assert title_only.key.startswith("title:f:")


def test_text_fields_are_plain() -> None:
    story = one(
        "<title>Tom &amp;amp; Jerry &lt;b&gt;bold&lt;/b&gt;</title><link>https://s.test/1</link>"
        "<description>&lt;p&gt;Hello &lt;script&gt;evil()&lt;/script&gt;&lt;b&gt;world&lt;/b&gt;"
        "&lt;/p&gt;</description><author>ann@example.com (Ann)</author>"
    )
    assert story.title == "Tom & Jerry bold"
    assert story.summary == "Hello world"


@pytest.mark.parametrize(
    ("item", "image"),
    [
        ('<media:thumbnail url="https://i.test/t.jpg"/><media:content url="https://i.test/c.jpg" '
         'medium="image"/>', "https://i.test/t.jpg"),
        ('<media:content url="https://i.test/v.mp4" medium="video"/>'
         '<media:content url="https://i.test/s.jpg" width="140"/>'
         '<media:content url="https://i.test/l.jpg" width="460"/>', "https://i.test/l.jpg"),
        ('<enclosure url="https://i.test/e.png" type="image/png" length="1"/>', "https://i.test/e.png"),
        ("<description>&lt;img src='https://t.test/p.gif' width='1' height='1'/&gt;"
         "&lt;img src='https://i.test/real.jpg'/&gt;</description>", "https://i.test/real.jpg"),
        ("<description>&lt;img src='http://feeds.feedburner.com/~ff/x?i=1'/&gt;</description>", ""),
        ("<description>&lt;img src='http://feeds.feedburner.com/~r/x/~4/abc' height='1' "
         "width='1'/&gt;</description>", ""),
    ],
)  # fmt: skip
def test_lead_image(item: str, image: str) -> None:
    assert one(f"<title>T</title><link>https://s.test/1</link>{item}", ns=MEDIA).image_url == image


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ("<pubDate>Sun, 01 Mar 2026 10:00:00 +0100</pubDate>", "2026-03-01T09:00:00+00:00"),
        ("<pubDate>mer, 25 feb 2026 00:38:15 +0100</pubDate>", "2026-02-24T23:38:15+00:00"),
        ("<pubDate>Seg, 23 Fev 2026 19:42:40 -0300</pubDate>", "2026-02-23T22:42:40+00:00"),
        ("<pubDate>sáb, 28 feb 2026 10:00:00 GMT</pubDate>", "2026-02-28T10:00:00+00:00"),
        ("<pubDate>Fr, 27. Feb 2026 10:00:00 MEZ</pubDate>", "2026-02-27T09:00:00+00:00"),
        ("<pubDate>not a date</pubDate>", NOW.isoformat()),
        ("", NOW.isoformat()),
        ("<pubDate>Sun, 01 Mar 2099 10:00:00 GMT</pubDate>", NOW.isoformat()),  # future
    ],
)
def test_published_dates(dates: str, expected: str) -> None:
    assert (
        one(f"<title>T</title><link>https://s.test/1</link>{dates}").published.isoformat()
        == expected
    )


def test_atom_updated_is_the_fallback() -> None:
    body = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>E</title>'
        b'<link href="https://s.test/e"/><id>urn:e</id><updated>2026-02-01T10:00:00Z</updated>'
        b"</entry></feed>"
    )
    (story,) = parse_bytes("f", body, {}, "https://s.test/atom", NOW).stories
    assert story.published.isoformat() == "2026-02-01T10:00:00+00:00" and story.guid == "urn:e"


def test_a_bad_entry_is_skipped_and_the_rest_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    items = "<item><description>no title, no link</description></item>"
    items += "<item><title>Good</title><link>https://s.test/g</link></item>"
    parsed = parse_bytes("f", doc(items), {}, "https://site.test/rss", NOW)
    assert [s.title for s in parsed.stories] == ["Good"]
    assert "skipped an entry" in caplog.text


def test_http_charset_is_used_for_undeclared_documents() -> None:
    body = (
        '<rss version="2.0"><channel><title>Notícias</title>'
        "<item><title>Ação</title></item></channel></rss>"
    )
    parsed = parse_bytes(
        "f",
        body.encode("iso-8859-1"),
        {"content-type": "application/rss+xml; charset=iso-8859-1"},
        "https://s.test/",
        NOW,
    )
    assert parsed.title == "Notícias" and parsed.stories[0].title == "Ação" and not parsed.warning


def test_polling_hints() -> None:
    def hint(channel: str) -> int | None:
        return parse_bytes(
            "f",
            doc("", channel, 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'),
            {},
            "https://s.test/",
            NOW,
        ).hint_seconds

    assert hint("<ttl>15</ttl>") == 900
    assert (
        hint("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>")
        == 1800
    )
    assert hint("<sy:updatePeriod>daily</sy:updatePeriod>") == 86400
    assert hint("<ttl>5</ttl><sy:updatePeriod>hourly</sy:updatePeriod>") == 3600
    assert hint("") is None


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><html><head><title>x</title></head><body>hi</body></html>",
        b"",
        b"\x00\x01binary",
        b'{"json": true}',
    ],
)
def test_what_is_not_a_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedParseError, match="not an RSS or Atom feed"):
        parse_bytes("f", body, {}, "https://s.test/", NOW)


def test_empty_but_valid_feed_is_accepted() -> None:
    parsed = parse_bytes("f", doc(""), {}, "https://s.test/", NOW)
    assert parsed.stories == () and parsed.title == "T"


def test_plain_text_and_first_image_helpers() -> None:
    assert plain_text("<p>a<br>b</p><style>x{}</style><p>c &amp; d</p>") == "a b c & d"
    assert plain_text("no markup  here ") == "no markup here"
    assert (
        first_image(
            '<img src="data:image/gif;base64,AAA"><img src="https://i.test/x.jpg" width="600">'
        )
        == "https://i.test/x.jpg"
    )


def test_loose_dates_reject_nonsense() -> None:
    assert parse_loose_date("garbage") is None
    assert parse_loose_date("Thu, 01 Jan 1970 00:00:00 GMT") is None
    assert parse_loose_date("Ter, 01 Out 2019 07:00:00 -0300") == datetime(
        2019, 10, 1, 10, tzinfo=UTC
    )


HOSTILE = (
    "<title>&lt;b onmouseover=&quot;x()&quot;&gt;Troops cross&lt;/b&gt; the border</title>"
    "<link>https://site.test/story</link>"
    "<description>&lt;script&gt;stealCookies()&lt;/script&gt;Forces crossed into the Kursk "
    "region on Tuesday.&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</description>"
    "<content:encoded><![CDATA[<style>p{}</style><script>document.write('pwned')</script>"
    '<p onclick="evil()">Forces crossed into the Kursk region on Tuesday, officials said.</p>'
    '<iframe src="https://evil.test/">frame text</iframe>'
    "<p>The governor said 20 villages were evacuated near Sudzha.</p>"
    '<img src="/img/lead.jpg" width="800"><a href="javascript:evil()">more</a>]]>'
    "</content:encoded>"
)
CONTENT_NS = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'


def test_unsanitised_feed_html_never_reaches_a_chat_as_markup() -> None:
    """Parsing skips feedparser's sanitiser (for speed), so every field that leaves the parser
    as text must be plain, and the brief a chat receives, on either platform, carries no feed
    markup, script, style or frame text."""
    import asyncio

    from bot.adapters.discord_bot.render import brief_embed
    from bot.adapters.telegram_bot import render
    from bot.briefing import ModelSummarizer
    from bot.core.models import Brief

    story = one(HOSTILE, ns=CONTENT_NS)
    assert story.title == "Troops cross the border"
    assert story.summary == "Forces crossed into the Kursk region on Tuesday."
    assert "<script>" in story.content_html  # raw, as the publisher wrote it
    assert story.image_url == "https://site.test/img/lead.jpg"  # relative src resolved here

    (made,) = asyncio.run(ModelSummarizer("lead", model=None, max_words=60).summarize([story]))
    assert "Sudzha" in made.summary
    item = Brief(1, story.key, "f", made.title, made.summary, story.link, "Site", NOW)
    message = render.brief(item, NOW).html
    embed = brief_embed(item).to_dict()
    shown = [message, str(embed.get("title")), str(embed.get("description"))]
    for bad in ("script", "pwned", "stealCookies", "onclick", "onerror", "iframe", "frame text"):
        assert not any(bad in part for part in shown), bad
    assert set(re.findall(r"</?([a-z]+)", message)) <= {"a", "b", "i"}


@pytest.mark.parametrize(
    "media",
    [
        '<media:thumbnail url="/img/lead.jpg"/>',
        '<media:content url="/img/lead.jpg" medium="image" width="800"/>',
        '<enclosure url="/img/lead.jpg" type="image/jpeg" length="1"/>',
    ],
)
def test_relative_media_urls_are_resolved_against_the_feed(media: str) -> None:
    story = one(f"<title>T</title><link>https://site.test/a</link>{media}", ns=MEDIA)
    assert story.image_url == "https://site.test/img/lead.jpg"
