"""Chat-added feeds belong to the chats that added them (issue 13, item 4).

Run against every storage (the in-memory fake, SQLite and PostgreSQL): the commands are the
real ``Commands``; only the feed source is a fake that counts how often a URL is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.commands import Commands
from bot.core.errors import FeedError
from bot.core.models import ChatRef, Feed, Platform, ReplyKind
from bot.core.ports import Storage, Summarised
from tests.fakes import T0, FakeFeedSource, FixedClock, make_story

OWNER = ChatRef(Platform.TELEGRAM, "100")
STRANGER = ChatRef(Platform.TELEGRAM, "200")
FRIEND = ChatRef(Platform.DISCORD, "300", "thread-1")
PUBLIC = Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world",), "en")
SECRET_URL = "https://private.example/private.xml?key=s3cret"
SECRET = Feed("private-example", SECRET_URL, "Private Club News", ("world",), trusted=False)


@dataclass
class CountingSource(FakeFeedSource):
    resolved: list[str] = field(default_factory=list)

    async def resolve(self, url: str) -> Feed:
        self.resolved.append(url)
        return await super().resolve(url)


@pytest.fixture
async def commands(storage: Storage) -> tuple[Commands, CountingSource]:
    await storage.sync_catalogue([PUBLIC])
    source = CountingSource(resolvable={SECRET_URL: SECRET})
    return Commands(storage, source, FixedClock()), source


async def _text(commands: Commands, chat: ChatRef, line: str) -> str:
    reply = await commands.dispatch(chat, line)
    assert reply is not None
    return reply.text + "".join(b.title for b in reply.briefs)


async def test_a_stranger_cannot_list_read_or_subscribe_by_id(
    storage: Storage, commands: tuple[Commands, CountingSource]
) -> None:
    cmds, _ = commands
    added = await cmds.subscribe(OWNER, SECRET_URL)
    assert added.kind == ReplyKind.OK and "private-example" in added.text
    await storage.record_story(
        make_story(1, "private-example", title="Members only"),
        Summarised("Members only", "A private story."),
        T0,
        deliver=False,
    )
    await storage.record_story(
        make_story(2, "bbc-world", title="Public story"),
        Summarised("Public story", "A public story."),
        T0,
        deliver=False,
    )
    # The owner sees its feed in /feeds and reads it by id; its bare /latest is its feeds.
    assert "private-example: Private Club News" in await _text(cmds, OWNER, "/feeds")
    assert "Members only" in await _text(cmds, OWNER, "/latest private-example")
    assert "Members only" in await _text(cmds, OWNER, "/latest")
    # A stranger: not listed, not readable by id or by its topic, no hint of its id.
    listing = await _text(cmds, STRANGER, "/feeds")
    assert "private" not in listing and "Private Club" not in listing
    by_id = await cmds.latest(STRANGER, "private-example")
    assert by_id.text == (
        'No stories match "private-example". No feed or topic called "private-example". '
        "/feeds lists them all."
    )  # searched as words: the private feed's briefs are not among the results
    hint = await cmds.latest(STRANGER, "private-exampl")  # no "Did you mean" to a hidden id
    assert hint.text.endswith('No feed or topic called "private-exampl". /feeds lists them all.')
    assert "Members only" not in await _text(cmds, STRANGER, "/latest world")
    subscribe = await cmds.subscribe(STRANGER, "private-example")
    assert subscribe.kind == ReplyKind.ERROR
    assert await storage.subscriptions(STRANGER) == []
    # A new chat's bare /latest shows the operator's feeds, not other chats' feeds.
    bare = await _text(cmds, STRANGER, "/latest")
    assert "Public story" in bare and "Members only" not in bare
    assert [f.id for f in await cmds.catalogue(STRANGER)] == ["bbc-world"]


async def test_the_same_url_from_a_second_chat_shares_the_feed(
    storage: Storage, commands: tuple[Commands, CountingSource]
) -> None:
    cmds, source = commands
    await cmds.subscribe(OWNER, SECRET_URL)
    second = await cmds.subscribe(FRIEND, SECRET_URL)
    assert second.kind == ReplyKind.OK and "(private-example)" in second.text
    assert source.resolved == [SECRET_URL]  # fetched once: the second chat shares the feed
    assert [f.id for f in await storage.list_feeds()] == ["bbc-world", "private-example"]
    assert await storage.subscribers("private-example") == [OWNER, FRIEND]
    # Now the friend owns it too: it stays listed after unsubscribing, and by id works.
    await cmds.unsubscribe(FRIEND, "private-example")
    assert "private-example" in await _text(cmds, FRIEND, "/feeds")
    again = await cmds.subscribe(FRIEND, "private-example")
    assert again.kind == ReplyKind.OK
    # Operator feeds need no owner and stay public.
    await cmds.subscribe(FRIEND, PUBLIC.url)
    assert "bbc-world" in await _text(cmds, STRANGER, "/feeds")


async def test_a_failed_url_gives_nobody_a_feed(
    storage: Storage, commands: tuple[Commands, CountingSource]
) -> None:
    cmds, source = commands
    source.resolvable.clear()
    source.items["https://broken.example/"] = FeedError("no")
    reply = await cmds.subscribe(OWNER, "https://broken.example/")
    assert reply.kind == ReplyKind.ERROR
    assert [f.id for f in await storage.list_feeds(OWNER)] == ["bbc-world"]


async def test_owned_feeds_follow_a_moved_chat(storage: Storage) -> None:
    await storage.sync_catalogue([PUBLIC])
    feed = await storage.add_feed(SECRET, owner=OWNER, now=T0)
    assert [f.id for f in await storage.list_feeds(OWNER)] == ["bbc-world", feed.id]
    moved = ChatRef(Platform.TELEGRAM, "-100100")
    await storage.subscribe(moved, ["bbc-world"], T0)  # the new id exists already: folded
    await storage.move_chat(OWNER, moved)
    assert [f.id for f in await storage.list_feeds(moved)] == ["bbc-world", feed.id]
    assert [f.id for f in await storage.list_feeds(OWNER)] == ["bbc-world"]
    # The trusted flag decides: an operator feed added "by URL" gets no owner row.
    public = await storage.add_feed(PUBLIC, owner=STRANGER, now=T0)
    assert public.id == "bbc-world" and public.trusted
    assert [f.id for f in await storage.list_feeds(STRANGER)] == ["bbc-world"]


async def test_a_database_keeps_the_chats_of_one_bot_per_platform(storage: Storage) -> None:
    assert await storage.claim_bot(Platform.TELEGRAM, "111", T0) == "111"
    assert await storage.claim_bot(Platform.TELEGRAM, "111", T0) == "111"
    assert await storage.claim_bot(Platform.TELEGRAM, "222", T0) == "111"
    assert await storage.claim_bot(Platform.DISCORD, "999", T0) == "999"
