"""Importing a feed list into a chat through the commands, with the fakes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.core.command_parse import Call, parse
from bot.core.commands import Commands, export_name
from bot.core.imports import Outline, Ticker, import_outlines
from bot.core.models import ChatRef, Feed, Platform, Reply, ReplyKind
from bot.core.opml import MAX_OPML_BYTES, parse_opml
from tests.fakes import FakeFeedSource, FakeStorage, FixedClock

CHAT = ChatRef(Platform.TELEGRAM, "42")
OTHER = ChatRef(Platform.TELEGRAM, "43")
CATALOGUE = [Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world",), "en")]


def chat_feed(n: int, title: str = "") -> Feed:
    return Feed(f"f{n}", f"https://f{n}.example/rss", title, (), "", trusted=False)


async def setup(max_feeds: int = 100) -> tuple[Commands, FakeStorage, FakeFeedSource]:
    storage = FakeStorage()
    await storage.sync_catalogue(CATALOGUE)
    source = FakeFeedSource()
    return Commands(storage, source, FixedClock(), max_feeds=max_feeds), storage, source


async def test_import_adds_new_skips_followed_and_says_why_it_refused() -> None:
    commands, storage, source = await setup()
    source.resolvable["https://f1.example/rss"] = chat_feed(1)
    await commands.subscribe(CHAT, "bbc-world")
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    report = await import_outlines(
        commands,
        CHAT,
        [
            Outline("https://f1.example/rss", "Feed One", ("tech", "ai")),
            Outline("https://bbc.example/rss", "BBC"),
            Outline("https://nowhere.example/page"),
            Outline("ftp://old.example/feed"),
        ],
        limit=100,
        progress=progress,
    )
    assert [f.id for f in report.added] == ["f1"] and [f.id for f in report.already] == [
        "bbc-world"
    ]
    assert sorted(url for url, _ in report.refused) == [
        "ftp://old.example/feed",
        "https://nowhere.example/page",
    ]
    assert sorted(done for done, _ in seen) == [1, 2, 3, 4] and {t for _, t in seen} == {4}
    # A new feed without a title of its own takes the list's title and topics.
    added = next(f for f in await storage.subscriptions(CHAT) if f.id == "f1")
    assert added.title == "Feed One" and added.topics == ("tech", "ai")
    text = report.summary()
    assert text.startswith("Import done: 4 in the list, 1 added, 1 already followed, 2 refused.")
    assert "- https://nowhere.example/page: Cannot use" in text


async def test_the_feed_limit_caps_an_import_and_the_summary_says_how_to_free_slots() -> None:
    commands, storage, source = await setup(max_feeds=3)
    for n in range(10):
        source.resolvable[f"https://f{n}.example/rss"] = chat_feed(n, f"F{n}")
    await commands.subscribe(CHAT, "bbc-world")
    outlines = [Outline(f"https://f{n}.example/rss") for n in range(10)]
    report = await import_outlines(commands, CHAT, outlines, limit=3)
    assert len(report.added) == 2 and report.over_limit == 8
    assert len(await storage.subscriptions(CHAT)) == 3
    assert "8 over the limit" in report.summary() and "at most 3 feeds" in report.summary()
    # A refused URL gives its slot back to the next one.
    commands2, _, source2 = await setup(max_feeds=1)
    source2.resolvable["https://ok.example/rss"] = chat_feed(7)
    report2 = await import_outlines(
        commands2,
        CHAT,
        [Outline("https://bad.example/rss"), Outline("https://ok.example/rss")],
        limit=1,
        concurrency=1,
    )
    assert [f.id for f in report2.added] == ["f7"] and report2.over_limit == 0


async def test_an_empty_list_says_so() -> None:
    commands, _, _ = await setup()
    report = await import_outlines(commands, CHAT, [], limit=100)
    assert "no feeds in it" in report.summary()


async def test_subscribe_refuses_over_the_limit_and_status_shows_the_use() -> None:
    commands, storage, source = await setup(max_feeds=2)
    for n in range(3):
        source.resolvable[f"https://f{n}.example/rss"] = chat_feed(n, f"F{n}")
    assert (await commands.subscribe(CHAT, "https://f0.example/rss")).kind == ReplyKind.OK
    assert (await commands.subscribe(CHAT, "https://f1.example/rss")).kind == ReplyKind.OK
    full = await commands.subscribe(CHAT, "https://f2.example/rss")
    assert full.kind == ReplyKind.ERROR
    assert full.text == (
        "This chat follows 2 feeds; the limit is 2. /unsubscribe one to free a slot "
        "(/subscriptions lists them)."
    )
    assert "f2" not in {f.id for f in await storage.list_feeds()}  # nothing fetched or stored
    again = await commands.subscribe(CHAT, "f0")  # a feed it follows takes no new slot
    assert again.kind == ReplyKind.INFO
    status = await commands.status(CHAT)
    assert status.text.endswith("This chat uses 2 of 2 feeds and 0 of 20 alerts.")
    assert (await commands.subscribe(OTHER, "bbc-world")).kind == ReplyKind.OK


# -- /import and /export as chat commands --------------------------------------------------------
@dataclass
class Attached:
    """An ``Upload`` (``bot.core.ports``) as an adapter hands it over."""

    data: bytes
    name: str = "mine.opml"
    stated: int | None = -1
    reads: int = 0

    @property
    def size(self) -> int | None:
        return len(self.data) if self.stated == -1 else self.stated

    async def read(self) -> bytes:
        self.reads += 1
        return self.data


def opml(*urls: str) -> bytes:
    body = "".join(f'<outline type="rss" text="T{i}" xmlUrl="{u}"/>' for i, u in enumerate(urls))
    return f'<?xml version="1.0"?><opml version="2.0"><body>{body}</body></opml>'.encode()


async def test_import_command_shows_progress_then_the_summary() -> None:
    commands, storage, source = await setup()
    for n in range(3):
        source.resolvable[f"https://f{n}.example/rss"] = chat_feed(n, f"F{n}")
    shown: list[str] = []

    async def show(text: str) -> None:
        shown.append(text)

    upload = Attached(opml(*(f"https://f{n}.example/rss" for n in range(3))))
    call = parse("/import", upload=upload)
    assert isinstance(call, Call) and call.fetches and call.needs_admin
    answer = await commands.run(CHAT, call, progress=show)
    assert shown == ["Checking 3 feeds…", "3 of 3 checked"]  # the clock stood still
    assert answer.reply.text.startswith("Import done: 3 in the list, 3 added")
    assert len(await storage.subscriptions(CHAT)) == 3


async def test_progress_lines_come_at_most_every_two_seconds_and_in_order() -> None:
    clock = FixedClock()
    shown: list[str] = []

    async def show(text: str) -> None:
        shown.append(text)

    ticker = Ticker(show, clock)
    await ticker.start(5)
    await ticker(1, 5)  # too soon
    clock.advance(2.5)
    await ticker(2, 5)
    await ticker(3, 5)  # too soon again
    await ticker(2, 5)  # late and old: never shown after a newer count
    await ticker(5, 5)  # the last is always shown
    assert shown == ["Checking 5 feeds…", "2 of 5 checked", "5 of 5 checked"]


async def test_bad_files_are_answered_before_anything_changes() -> None:
    commands, storage, _ = await setup()
    big = Attached(b"", stated=MAX_OPML_BYTES + 1)
    reply = await commands.import_feeds(CHAT, big)
    assert reply.kind == ReplyKind.ERROR and "an OPML list is read up to 2 MB" in reply.text
    assert big.reads == 0  # refused from its stated size, never downloaded
    bomb = Attached(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        b"<opml><body/></opml>"
    )
    assert "refuses to read" in (await commands.import_feeds(CHAT, bomb)).text
    junk = await commands.import_feeds(CHAT, Attached(b"\x89PNG\r\n\x1a\n..."))
    assert junk.kind == ReplyKind.ERROR and junk.text.startswith("That file is not XML")
    empty = await commands.import_feeds(CHAT, Attached(opml()))
    assert "no feeds in it" in empty.text
    assert await storage.subscriptions(CHAT) == []
    usage = parse("/import")
    assert isinstance(usage, Reply) and usage.text.startswith("Send an OPML file")


async def test_export_then_import_into_a_fresh_chat_gives_the_same_subscriptions() -> None:
    commands, storage, source = await setup()
    source.resolvable["https://f1.example/rss"] = chat_feed(1, "Feed One")
    assert (await commands.export_feeds(CHAT)).text.startswith("This chat follows no feeds")
    await commands.subscribe(CHAT, "bbc-world")
    await commands.subscribe(CHAT, "https://f1.example/rss")
    reply = await commands.export_feeds(CHAT)
    assert reply.document is not None and reply.document.name == "newsbrief-telegram-42.opml"
    assert [o.url for o in parse_opml(reply.document.data)] == [
        "https://bbc.example/rss",
        "https://f1.example/rss",
    ]
    await commands.import_feeds(OTHER, Attached(reply.document.data))
    assert [f.id for f in await storage.subscriptions(OTHER)] == [
        f.id for f in await storage.subscriptions(CHAT)
    ]
    assert export_name(ChatRef(Platform.DISCORD, "5", "7")) == "newsbrief-discord-5-7.opml"


async def test_a_second_import_in_a_chat_is_refused_while_the_first_runs() -> None:
    commands, _, source = await setup()
    source.resolvable["https://f1.example/rss"] = chat_feed(1)
    release = asyncio.Event()

    class Slow(Attached):
        async def read(self) -> bytes:
            await release.wait()
            return self.data

    first = asyncio.create_task(commands.import_feeds(CHAT, Slow(opml("https://f1.example/rss"))))
    await asyncio.sleep(0)
    second = await commands.import_feeds(CHAT, Attached(opml("https://f1.example/rss")))
    assert second.kind == ReplyKind.ERROR and "already importing a list" in second.text
    other = await commands.import_feeds(OTHER, Attached(opml("https://f1.example/rss")))
    assert other.text.startswith("Import done: 1 in the list, 1 added")  # other chats go on
    release.set()
    assert (await first).text.startswith("Import done: 1 in the list, 1 added")
    again = await commands.import_feeds(CHAT, Attached(opml("https://f1.example/rss")))
    assert "1 already followed" in again.text
