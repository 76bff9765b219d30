"""Feed discovery for web-page URLs typed in chat, and full article text for teasers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.commands import Commands
from bot.core.errors import FeedParseError, UnsafeURLError
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind, Story
from bot.feeds.article import extract_text, fetch_page, needs_article
from bot.feeds.discover import feed_links, looks_like_html
from bot.storage import SqlStorage
from tests.feeds.conftest import PUBLIC_STANDIN, T0, FakeClock, build_source
from tests.feeds.helpers import Item, rss
from tests.feeds.loopback import LoopbackServer, Reply

CHAT = ChatRef(Platform.CONSOLE, "room")
FEED = rss([Item("One", "https://news.test/1")], title="News Test")
PARAGRAPHS = [
    "The city council voted on Tuesday to rebuild the old river bridge, ending a decade of "
    "debate about whether the crossing should be repaired or replaced entirely. " * 3,
    "Engineers told the council that the existing structure could not carry modern traffic "
    "loads, and that repairs would cost nearly as much as a new bridge. " * 3,
    "Construction is expected to begin next spring and to last about two years, during which "
    "a temporary ferry service will carry pedestrians and cyclists across the river. " * 3,
]
ARTICLE = (
    "<!doctype html><html><head><title>Council votes to rebuild bridge</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a></nav>"
    "<article><h1>Council votes to rebuild bridge</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article><footer>Copyright 2026 News Test. All rights reserved. Cookie settings."
    "</footer></body></html>"
).encode()


def page(head: str) -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body><p>Hello</p></body></html>".encode()


def test_feed_links_in_page_order_and_absolute() -> None:
    html = (
        '<link rel="stylesheet" href="/s.css">'
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml" title="Atom">'
        '<link rel="alternate" type="application/rss+xml" href="https://cdn.test/rss.xml">'
        '<link rel="alternate" type="application/feed+json" href="/feed.json">'
        '<link rel="alternate" hreflang="de" href="/de/">'
    )
    assert feed_links(html, "https://site.test/news/") == [
        "https://site.test/atom.xml",
        "https://cdn.test/rss.xml",
    ]


def test_html_is_recognised_by_type_or_content() -> None:
    assert looks_like_html(b"", "text/html; charset=utf-8")
    assert looks_like_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>", "")
    assert not looks_like_html(FEED, "application/xml")


async def test_subscribing_to_a_web_page_finds_its_feed(
    clock: FakeClock, public_server: LoopbackServer, storage: SqlStorage
) -> None:
    head = '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml">'
    public_server.route("/", lambda r: Reply(200, page(head), {"Content-Type": "text/html"}))
    public_server.route("/rss.xml", lambda r: Reply(200, FEED))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    commands = Commands(storage, source, clock)
    try:
        reply = await commands.subscribe(CHAT, public_server.url("/"))
    finally:
        await source.aclose()
    assert reply.kind is ReplyKind.OK, reply.text
    (feed,) = await storage.subscriptions(CHAT)
    assert feed.url == public_server.url("/rss.xml") and feed.title == "News Test"
    assert not feed.trusted and feed.id == "127-0-0-2"
    # The page address the user typed works for unsubscribing too.
    reply = await commands.unsubscribe(CHAT, public_server.url("/"))
    assert reply.kind is ReplyKind.OK, reply.text
    assert await storage.subscriptions(CHAT) == []


async def test_a_page_without_a_feed_gets_a_clear_error(
    clock: FakeClock, public_server: LoopbackServer, storage: SqlStorage
) -> None:
    public_server.route("/", lambda r: Reply(200, page("<title>No feed</title>")))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    try:
        reply = await Commands(storage, source, clock).subscribe(CHAT, public_server.url("/"))
    finally:
        await source.aclose()
    assert reply.kind is ReplyKind.ERROR
    assert "advertises no RSS or Atom feed" in reply.text
    assert await storage.list_feeds() == []


async def test_a_page_pointing_its_feed_at_loopback_is_refused(
    clock: FakeClock, public_server: LoopbackServer
) -> None:
    head = '<link rel="alternate" type="application/rss+xml" href="http://127.0.0.1:9/rss">'
    public_server.route("/", lambda r: Reply(200, page(head)))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    try:
        with pytest.raises(UnsafeURLError):
            await source.resolve(public_server.url("/"))
    finally:
        await source.aclose()


def teaser(link: str, feed_id: str = "news") -> Story:
    return Story(feed_id, link, "g1", link, "Council votes to rebuild bridge", T0, "A teaser.")


async def test_enrich_fetches_the_article_for_a_teaser(
    clock: FakeClock, public_server: LoopbackServer
) -> None:
    public_server.route("/story", lambda r: Reply(200, ARTICLE, {"Content-Type": "text/html"}))
    public_server.route("/feed", lambda r: Reply(200, FEED))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    feed = Feed("news", public_server.url("/feed"), "News", trusted=False)
    try:
        await source.fetch(feed, FeedState("news"))
        story = teaser(public_server.url("/story"))
        assert needs_article(story)
        rich = await source.enrich(story)
    finally:
        await source.aclose()
    assert "ferry service" in rich.content_html and rich.content_html.startswith("<p>")
    assert "Cookie settings" not in rich.content_html and "Sport" not in rich.content_html
    assert not needs_article(rich)
    assert public_server.hits("/story")[0].headers["accept"].startswith("text/html")


async def test_enrich_keeps_the_feed_text_when_extraction_fails(
    clock: FakeClock, public_server: LoopbackServer, server: LoopbackServer
) -> None:
    public_server.route("/empty", lambda r: Reply(200, page(""), {"Content-Type": "text/html"}))
    public_server.route("/pdf", lambda r: Reply(200, b"%PDF", {"Content-Type": "application/pdf"}))
    server.route("/story", lambda r: Reply(200, ARTICLE, {"Content-Type": "text/html"}))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    try:
        for link in (public_server.url("/empty"), public_server.url("/pdf"), server.url("/story")):
            story = teaser(link)  # an untrusted feed: its loopback article link is refused
            assert await source.enrich(story) == story
    finally:
        await source.aclose()
    assert server.requests == []


async def test_long_feed_text_needs_no_article(clock: FakeClock) -> None:
    long = Story("f", "k", "", "https://x.test/a", "T", T0, content_html="<p>word </p>" * 200)
    source = build_source(clock)
    try:
        assert await source.enrich(long) is long  # no request at all (no server exists)
    finally:
        await source.aclose()


async def test_article_page_by_url_and_by_file(
    clock: FakeClock, server: LoopbackServer, tmp_path: Path
) -> None:
    server.route("/a", lambda r: Reply(200, ARTICLE, {"Content-Type": "text/html"}))
    (tmp_path / "a.html").write_bytes(ARTICLE)
    (tmp_path / "empty.html").write_bytes(b"<html><body><nav>Home</nav></body></html>")
    source = build_source(clock)
    try:
        url = server.url("/a")
        by_url = extract_text(await fetch_page(source.fetcher, url, trusted=True), url)
        by_file = extract_text((tmp_path / "a.html").read_bytes())
        with pytest.raises(FeedParseError, match="no article text"):
            extract_text((tmp_path / "empty.html").read_bytes())
    finally:
        await source.aclose()
    assert by_url == by_file
    assert by_url[0] == "Council votes to rebuild bridge" and "temporary ferry" in by_url[1]
