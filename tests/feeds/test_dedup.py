"""No story reaches a chat twice because a feed re-ordered, re-dated, briefly dropped or
re-published it, or because two feeds carried it: pipeline + HttpFeedSource + SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.core.models import ChatRef, Feed, Platform
from bot.core.pipeline import Pipeline
from bot.feeds.source import HttpFeedSource
from bot.storage import SqlStorage
from tests.fakes import pending_deliveries
from tests.feeds.conftest import FakeClock, build_source
from tests.feeds.helpers import Item, pipeline, rss
from tests.feeds.loopback import LoopbackServer, Reply

CHAT = ChatRef(Platform.CONSOLE, "room")
A = Item("Alpha falls", "https://news.test/a", "id-a", "Sun, 01 Mar 2026 08:00:00 GMT")
B = Item("Beta rises", "https://news.test/b", "id-b", "Sun, 01 Mar 2026 09:00:00 GMT")
C = Item("Gamma waits", "https://news.test/c", "id-c", "Sun, 01 Mar 2026 10:00:00 GMT")


@dataclass
class World:
    server: LoopbackServer
    storage: SqlStorage
    source: HttpFeedSource
    pipe: Pipeline
    clock: FakeClock
    docs: dict[str, bytes]

    def serve(self, path: str, *items: Item) -> None:
        self.docs[path] = rss(items)

    async def poll(self) -> list[str]:
        """Poll every feed a day later (all are due); return titles newly queued for the chat."""
        before = {d.id for d in await pending_deliveries(self.storage, CHAT)}
        self.clock.advance(86400)
        report = await self.pipe.poll_due(self.clock.now())
        assert report.failed == 0, report.errors
        after = await pending_deliveries(self.storage, CHAT)
        return [d.brief.title for d in after if d.id not in before]


@pytest.fixture
async def world(
    server: LoopbackServer, storage: SqlStorage, clock: FakeClock
) -> AsyncIterator[World]:
    docs: dict[str, bytes] = {}
    for path in ("/one", "/two"):
        server.route(path, lambda r, p=path: Reply(200, docs[p]))
    await storage.sync_catalogue(
        [Feed("one", server.url("/one"), "One"), Feed("two", server.url("/two"), "Two")]
    )
    await storage.subscribe(CHAT, ["one", "two"], clock.now())
    source = build_source(clock, fetch_articles=False)
    w = World(server, storage, source, pipeline(storage, source), clock, docs)
    w.serve("/one", A, B, C)
    w.serve("/two")
    assert await w.poll() == []  # the first poll primes: stored, not pushed
    yield w
    await source.aclose()


async def test_reordered_feed_pushes_nothing(world: World) -> None:
    world.serve("/one", C, A, B)
    assert await world.poll() == []
    world.serve("/one", B, C, A)
    assert await world.poll() == []


async def test_redated_entries_push_nothing(world: World) -> None:
    later = "Mon, 02 Mar 2026 07:00:00 GMT"
    world.serve("/one", Item(A.title, A.link, A.guid, later), B, C)
    assert await world.poll() == []
    world.serve("/one", Item(A.title, A.link, A.guid, ""), B, C)  # date dropped
    assert await world.poll() == []


async def test_briefly_dropped_entry_is_not_pushed_again(world: World) -> None:
    world.serve("/one", A, B)
    assert await world.poll() == []
    world.serve("/one", A, B, C)
    assert await world.poll() == []


async def test_republished_with_new_guid_or_tracking_link_is_not_pushed(world: World) -> None:
    world.serve("/one", Item(A.title, A.link, "id-a#1"), B, C)  # BBC-style guid suffix
    assert await world.poll() == []
    world.serve("/one", Item(B.title, B.link + "?utm_source=rss#top", B.guid), A, C)
    assert await world.poll() == []
    world.serve("/one", Item("Gamma waits (updated)", C.link, "id-c-v2"), A, B)
    assert await world.poll() == []


async def test_a_new_entry_is_pushed_exactly_once(world: World) -> None:
    d = Item("Delta arrives", "https://news.test/d", "id-d")
    world.serve("/one", d, A, B, C)
    assert await world.poll() == ["Delta arrives"]
    assert await world.poll() == []
    world.serve("/one", A, d, C)
    assert await world.poll() == []


async def test_same_story_in_two_feeds_reaches_the_chat_once(world: World) -> None:
    d = Item("Delta arrives", "https://news.test/d?utm_medium=rss", "one-d")
    world.serve("/one", d, A, B, C)
    assert await world.poll() == ["Delta arrives"]
    world.serve("/two", Item("Delta arrives, says Two", "https://news.test/d", "two-d"))
    assert await world.poll() == []  # Two becomes a source of the brief; no second push
    world.serve("/two", Item("Delta again", "https://news.test/d#x", "two-d2"))
    assert await world.poll() == []
    (brief,) = [b for b in await world.storage.latest(None, 10) if "news.test/d" in b.link]
    assert brief.link == "https://news.test/d" and brief.also_sources == ("Two",)


async def test_recurring_title_with_new_identity_is_a_new_story(world: World) -> None:
    letters = Item("Letters to the editor", "https://news.test/letters-1", "l-1")
    world.serve("/one", letters, A, B, C)
    assert await world.poll() == ["Letters to the editor"]
    world.serve("/one", Item(letters.title, "https://news.test/letters-2", "l-2"), A, B, C)
    assert await world.poll() == ["Letters to the editor"]


async def test_entries_without_guid_or_link_are_recognised_by_title(world: World) -> None:
    world.serve("/one", Item("Only a title"), A)
    assert await world.poll() == ["Only a title"]
    world.serve("/one", Item("  ONLY a   title "), A)
    assert await world.poll() == []


async def test_two_feeds_bringing_the_same_new_story_at_once(world: World) -> None:
    d = Item("Delta arrives", "https://news.test/d", "id-d")
    world.serve("/one", d, A, B, C)
    world.serve("/two", Item("Delta, as Two tells it", "https://news.test/d?utm_source=two"))
    new = await world.poll()  # both feeds are polled concurrently; one of them stores it first
    assert new in (["Delta arrives"], ["Delta, as Two tells it"])
    briefs = [b for b in await world.storage.latest(None, 10) if b.link == "https://news.test/d"]
    assert len(briefs) == 1 and len(briefs[0].also_sources) == 1
    assert len(await pending_deliveries(world.storage, CHAT)) == 1


async def test_poll_report_counts_every_feeds_new_stories(world: World) -> None:
    """Feeds are ingested concurrently; each one's count must reach the report."""
    world.serve(
        "/one", Item("Delta", "https://news.test/d", "d"), Item("Eps", "https://news.test/e", "e")
    )
    world.serve("/two", Item("Zeta", "https://news.test/z", "z"))
    world.clock.advance(86400)
    report = await world.pipe.poll_due(world.clock.now())
    assert report.new_briefs == 3 and report.polled == 2
