"""Importing a feed list into a chat through the commands, with the fakes."""

from __future__ import annotations

from bot.core.commands import Commands
from bot.core.imports import Outline, import_outlines
from bot.core.models import ChatRef, Feed, Platform, ReplyKind
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
