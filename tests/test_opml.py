"""OPML files: parsing hostile and real-shaped lists, writing OPML 2.0, and the round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.models import Feed
from bot.core.opml import MAX_OPML_BYTES, OpmlError, parse_opml, render_opml

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="World News" title="World News">
      <outline type="rss" text="BBC World" title="BBC World" xmlUrl="https://bbc.example/rss"
               htmlUrl="https://bbc.example/"/>
      <outline text="Europe">
        <outline type="rss" text="DW" xmlUrl="https://dw.example/rss" category="/Politics,Tech/AI"/>
      </outline>
    </outline>
    <outline type="rss" text="Loose" xmlUrl="https://loose.example/atom"/>
    <outline type="rss" text="Loose again" xmlUrl="https://loose.example/atom"/>
    <outline text="A folder with no feeds"/>
  </body>
</opml>
"""


def test_nested_outlines_become_topics_and_titles_are_kept() -> None:
    outlines = parse_opml(READER_EXPORT)
    assert [(o.url, o.title, o.topics) for o in outlines] == [
        ("https://bbc.example/rss", "BBC World", ("world-news",)),
        ("https://dw.example/rss", "DW", ("world-news", "europe", "politics", "tech", "ai")),
        ("https://loose.example/atom", "Loose", ()),
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<opml version="2.0"><body><outline xmlUrl="http://x.example/&lol2;"/></body></opml>',
            "refuses",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml SYSTEM "file:///etc/passwd">'
            b'<opml version="2.0"><body/></opml>',
            "refuses",
        ),
        (b"\x89PNG\r\n\x1a\n not xml at all", "not XML"),
        (b"<rss><channel/></rss>", "not OPML"),
        (b'<opml version="2.0"><head/></opml>', "no <body>"),
    ],
)
def test_hostile_and_wrong_files_get_one_clear_error(data: bytes, says: str) -> None:
    with pytest.raises(OpmlError, match=says):
        parse_opml(data)


def test_a_twenty_megabyte_file_is_refused_before_parsing() -> None:
    big = b"<opml><body>" + b" " * (20 * 1024 * 1024) + b"</body></opml>"
    with pytest.raises(OpmlError, match=r"21\.0 MB.*up to 2 MB"):
        parse_opml(big)
    assert len(big) > MAX_OPML_BYTES


def test_five_thousand_outlines_parse() -> None:
    rows = "".join(f'<outline type="rss" xmlUrl="https://f{i}.example/rss"/>' for i in range(5000))
    data = f'<opml version="2.0"><body>{rows}</body></opml>'.encode()
    outlines = parse_opml(data)
    assert len(outlines) == 5000 and outlines[-1].url == "https://f4999.example/rss"


def test_render_then_parse_gives_the_same_feeds_and_topics() -> None:
    feeds = [
        Feed("bbc-world", "https://bbc.example/rss", "BBC <World> & co", ("world", "europe")),
        Feed("ars", "https://ars.example/rss?a=1&b=2", "Ars", ()),
    ]
    data = render_opml("newsbrief: telegram:42", feeds, NOW)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in data and b"<dateCreated>Thu, 03 Dec 2026" in data
    back = parse_opml(data)
    assert [(o.url, o.title, o.topics) for o in back] == [
        ("https://bbc.example/rss", "BBC <World> & co", ("world", "europe")),
        ("https://ars.example/rss?a=1&b=2", "Ars", ()),
    ]
