"""Replies that say what is true: pending, failing, paused feeds; URL spellings (issue 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands import Commands
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind
from bot.core.reasons import readable_reason, url_key
from tests.fakes import FakeFeedSource, FakeStorage, FixedClock

CHAT = ChatRef(Platform.CONSOLE, "console")
CATALOGUE = [
    Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world",), "en"),
    Feed("dw-europe", "https://dw.example/rss", "DW Europe", ("europe",), "en"),
]
DNS = "cannot connect: [Errno -2] Name or service not known"

Env = tuple[Commands, FakeStorage, FakeFeedSource, FixedClock]


@pytest.fixture
async def env() -> Env:
    storage = FakeStorage()
    await storage.sync_catalogue(CATALOGUE)
    source = FakeFeedSource()
    clock = FixedClock()
    return Commands(storage, source, clock), storage, source, clock


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (DNS, "the server's name could not be found"),
        ("cannot connect: [Errno 111] Connection refused", "the server refused the connection"),
        ("timed out (ReadTimeout)", "the server did not answer in time"),
        ("HTTP 404 from bbc.example", "the feed is not at that address any more (HTTP 404)"),
        ("HTTP 500 from bbc.example", "the server had an error (HTTP 500)"),
        ("HTTP 503 from bbc.example", "the server had an error (HTTP 503)"),
        ("HTTP 418 from bbc.example", "the server answered HTTP 418"),
        ("something nobody foresaw", "something nobody foresaw"),
        (
            "cannot fetch 'https://ssl.example/timeout.xml': [Errno 111] Connection refused",
            "the server refused the connection",
        ),
        ("timed out while reading the response", "the server did not answer in time"),
        (
            "it is not an RSS or Atom feed (no feed found)",
            "the address does not lead to an RSS or Atom feed",
        ),
        (None, "an unknown error"),
    ],
)
def test_readable_reason(raw: str | None, words: str) -> None:
    assert readable_reason(raw) == words


def test_url_key_ignores_case_of_scheme_and_host_default_port_and_trailing_slash() -> None:
    key = url_key("http://host.example/feed")
    assert url_key("HTTP://Host.Example/feed/") == key
    assert url_key("http://host.example:80/feed") == key
    assert url_key("http://host.example/Feed") != key  # paths are case-sensitive
    assert url_key("https://host.example/feed") != key
    assert url_key("http://host.example/feed?x=1") != key


async def test_subscribe_to_never_fetched_feed_says_first_fetch_pending(env: Env) -> None:
    commands, _, _, _ = env
    reply = await commands.subscribe(CHAT, "bbc-world")
    assert reply.text.startswith("Subscribed to BBC World (bbc-world).")
    assert "first fetch of bbc-world is pending" in reply.text


async def test_subscribe_to_failing_feed_says_why_in_plain_words(env: Env) -> None:
    commands, storage, _, _ = env
    await storage.save_feed_state(FeedState("bbc-world", failures=2, last_error=DNS))
    reply = await commands.subscribe(CHAT, "bbc-world")
    assert "bbc-world is failing: the server's name could not be found." in reply.text
    assert "Errno" not in reply.text


async def test_subscribe_to_fetched_feed_adds_no_warning(env: Env) -> None:
    commands, storage, _, clock = env
    await storage.save_feed_state(FeedState("bbc-world", last_success_at=clock.now()))
    reply = await commands.subscribe(CHAT, "bbc-world")
    assert reply.text == (
        "Subscribed to BBC World (bbc-world). New stories arrive here; /latest shows the last ones."
    )


async def test_latest_without_stories_says_what_is_true(env: Env) -> None:
    commands, storage, _, clock = env
    await commands.subscribe(CHAT, "europe")
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(
        FeedState(
            "bbc-world",
            failures=3,
            last_error="HTTP 500 from bbc.example",
            last_success_at=clock.now() - timedelta(hours=2),
        )
    )
    reply = await commands.latest(CHAT)
    assert reply.kind == ReplyKind.INFO
    lines = reply.text.splitlines()
    assert lines[0] == "No stories yet."
    assert (
        "bbc-world: failing since its last success 2 h ago (3 failed polls): "
        "the server had an error (HTTP 500)." in lines
    )
    assert "dw-europe: first fetch pending." in lines
    assert "polled every few minutes" not in reply.text


async def test_latest_of_paused_feed_says_how_to_resume(env: Env) -> None:
    commands, storage, _, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(
        FeedState(
            "bbc-world",
            failures=10,
            last_error=DNS,
            paused_reason=f"10 failed polls in a row, last: {DNS}",
        )
    )
    reply = await commands.latest(CHAT, "bbc-world")
    assert reply.text == (
        "No stories yet.\nbbc-world: paused (10 failed polls in a row, last: the server's name "
        "could not be found). /subscribe bbc-world resumes it."
    )


async def test_status_shows_readable_reason(env: Env) -> None:
    commands, storage, _, clock = env
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(
        FeedState("bbc-world", failures=1, last_error=DNS, next_poll_at=clock.now())
    )
    status = await commands.status(CHAT)
    assert status.text == (
        "bbc-world: last success never, next check now, "
        "1 failure: the server's name could not be found\n"
        "This chat uses 1 of 100 feeds and 0 of 20 alerts."
    )


async def test_subscribe_resumes_paused_feed_and_says_so(env: Env) -> None:
    commands, storage, _, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(
        FeedState("bbc-world", failures=10, last_error=DNS, paused_reason="10 failed polls")
    )
    reply = await commands.subscribe(CHAT, "bbc-world")
    assert reply.kind == ReplyKind.OK
    assert reply.text.startswith("Resumed BBC World (bbc-world): it is polled again")
    assert "already follows" not in reply.text
    state = await storage.get_feed_state("bbc-world")
    assert state.paused_reason is None and state.failures == 0 and state.next_poll_at is None
    due = [feed.id for feed, _ in await storage.due_feeds(FixedClock().now())]
    assert "bbc-world" in due


async def test_feed_removed_from_catalogue_is_not_resumed(env: Env) -> None:
    commands, storage, _, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(FeedState("bbc-world", paused_reason="removed from feeds.yaml"))
    reply = await commands.subscribe(CHAT, "bbc-world")
    assert "already follows bbc-world" in reply.text
    assert (await storage.get_feed_state("bbc-world")).paused_reason == "removed from feeds.yaml"


@pytest.mark.parametrize("typed", ["HTTPS://BBC.Example/rss", "https://bbc.example/rss/"])
async def test_unsubscribe_matches_other_spellings_of_the_url(env: Env, typed: str) -> None:
    commands, storage, _, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    reply = await commands.unsubscribe(CHAT, typed)
    assert reply.kind == ReplyKind.OK and reply.text == "Unsubscribed from bbc-world."
    assert await storage.subscriptions(CHAT) == []


async def test_subscribe_by_other_spelling_finds_stored_feed_without_fetching(env: Env) -> None:
    commands, storage, _, _ = env  # resolvable is empty: a fetch would fail
    reply = await commands.subscribe(CHAT, "HTTPS://bbc.example/rss/")
    assert reply.text.startswith("Subscribed to BBC World (bbc-world).")
    assert [f.id for f in await storage.subscriptions(CHAT)] == ["bbc-world"]
    assert len(await storage.list_feeds()) == 2
