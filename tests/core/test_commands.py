"""The chat commands against the in-memory fakes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.commands import COMMANDS, Commands
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind
from bot.core.ports import Summarised
from tests.fakes import FakeFeedSource, FakeStorage, FixedClock, make_story

CHAT = ChatRef(Platform.CONSOLE, "console")
CATALOGUE = [
    Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world", "europe"), "en"),
    Feed("dw-europe", "https://dw.example/rss", "DW Europe", ("europe",), "en"),
    Feed("ars-tech", "https://ars.example/rss", "Ars Technica", ("tech",), "en"),
]


@pytest.fixture
async def env() -> tuple[Commands, FakeStorage, FakeFeedSource]:
    storage = FakeStorage()
    await storage.sync_catalogue(CATALOGUE)
    source = FakeFeedSource()
    return Commands(storage, source, FixedClock()), storage, source


async def test_help_lists_every_command(env: tuple[Commands, FakeStorage, FakeFeedSource]) -> None:
    commands, _, _ = env
    reply = await commands.dispatch(CHAT, "/help")
    assert reply is not None
    for info in COMMANDS:
        assert f"/{info.name}" in reply.text


async def test_feeds_by_topic(env: tuple[Commands, FakeStorage, FakeFeedSource]) -> None:
    commands, _, _ = env
    reply = await commands.feeds(CHAT, "europe")
    assert "bbc-world" in reply.text and "dw-europe" in reply.text and "ars-tech" not in reply.text
    bad = await commands.feeds(CHAT, "sport")
    assert bad.kind == ReplyKind.ERROR and "Topics: europe, tech, world" in bad.text


async def test_subscribe_by_id_topic_and_duplicates(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, _ = env
    ok = await commands.dispatch(CHAT, "/subscribe bbc-world")
    assert ok is not None and ok.kind == ReplyKind.OK
    assert ok.text.startswith("Subscribed to BBC World (bbc-world).")
    dup = await commands.subscribe(CHAT, "bbc-world")
    assert dup.kind == ReplyKind.INFO and "already follows bbc-world" in dup.text
    topic = await commands.subscribe(CHAT, "europe")
    assert "DW Europe (dw-europe)" in topic.text and "BBC World" not in topic.text
    assert [f.id for f in await storage.subscriptions(CHAT)] == ["bbc-world", "dw-europe"]


async def test_unknown_and_empty_targets_say_what_to_type(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, _, _ = env
    typo = await commands.subscribe(CHAT, "bbcworld")
    assert typo.kind == ReplyKind.ERROR
    assert (
        typo.text
        == 'No feed or topic called "bbcworld". Did you mean bbc-world? /feeds lists them all.'
    )
    empty = await commands.dispatch(CHAT, "/subscribe   ")
    assert (
        empty is not None
        and empty.kind == ReplyKind.ERROR
        and "/subscribe <feed id | topic | feed URL>" in empty.text
    )
    none = await commands.dispatch(CHAT, "/unsubscribe")
    assert none is not None and (
        none.kind == ReplyKind.ERROR and "/unsubscribe <feed id | topic | URL | all>" in none.text
    )
    unknown = await commands.dispatch(CHAT, "/frobnicate")
    assert unknown is not None and unknown.kind == ReplyKind.ERROR and "/help" in unknown.text


async def test_subscribe_by_url_resolves_and_stores_feed(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, source = env
    url = "https://blog.example/feed.xml"
    source.resolvable[url] = Feed("blog-example", url, "A Blog", trusted=False)
    reply = await commands.subscribe(CHAT, url)
    assert reply.kind == ReplyKind.OK and "A Blog (blog-example)" in reply.text
    assert (await storage.find_feed_by_url(url)) is not None
    bad = await commands.subscribe(CHAT, "https://nofeed.example/")
    assert bad.kind == ReplyKind.ERROR
    assert bad.text == "Cannot use https://nofeed.example/: it is not an RSS or Atom feed"
    gone = await commands.unsubscribe(CHAT, url)
    assert gone.text == "Unsubscribed from blog-example."


async def test_unsubscribe_topic_only_touches_subscribed_and_all(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    await commands.subscribe(CHAT, "ars-tech")
    reply = await commands.unsubscribe(CHAT, "europe")
    assert reply.text == "Unsubscribed from bbc-world."
    missing = await commands.unsubscribe(CHAT, "dw-europe")
    assert missing.kind == ReplyKind.ERROR and "does not follow" in missing.text
    everything = await commands.unsubscribe(CHAT, "all")
    assert everything.text == "Unsubscribed from 1 feed."
    assert await storage.subscriptions(CHAT) == []


async def test_latest_by_feed_topic_count(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, _ = env
    empty = await commands.latest(CHAT)
    assert empty.kind == ReplyKind.INFO and not empty.briefs
    for n in range(8):
        feed = "bbc-world" if n % 2 else "ars-tech"
        await storage.record_story(
            make_story(n, feed), Summarised(f"T{n}", "S"), FixedClock().now(), deliver=False
        )
    reply = await commands.dispatch(CHAT, "/latest bbc-world 2")
    assert reply is not None
    assert [b.title for b in reply.briefs] == ["T7", "T5"]
    assert [b.title for b in (await commands.latest(CHAT, "tech")).briefs] == [
        "T6",
        "T4",
        "T2",
        "T0",
    ]
    assert len((await commands.latest(CHAT)).briefs) == 5
    await commands.subscribe(CHAT, "ars-tech")
    mine = await commands.dispatch(CHAT, "/latest 100")
    assert mine is not None and [b.title for b in mine.briefs] == ["T6", "T4", "T2", "T0"]
    bad = await commands.dispatch(CHAT, "/latest -a")
    assert bad is not None and bad.kind == ReplyKind.ERROR and "/latest" in bad.text


async def test_alert_commands(env: tuple[Commands, FakeStorage, FakeFeedSource]) -> None:
    commands, storage, _ = env
    ok = await commands.alert(CHAT, "kursk OR sudzha -football")
    assert ok.kind == ReplyKind.OK and ok.text.startswith("Alert ")
    assert "kursk OR sudzha -football" in (await commands.alerts(CHAT)).text
    bad = await commands.alert(CHAT, "OR")
    assert bad.kind == ReplyKind.ERROR and "OR" in bad.text
    alert_id = (await storage.alerts(CHAT))[0].id
    assert (await commands.unalert(CHAT, 999)).kind == ReplyKind.ERROR
    assert (await commands.unalert(CHAT, alert_id)).text == f"Alert {alert_id} removed."


async def test_digest_settings(env: tuple[Commands, FakeStorage, FakeFeedSource]) -> None:
    commands, storage, _ = env
    ok = await commands.digest(CHAT, "18:00,8:00", "Europe/Kyiv")
    assert ok.text == (
        "Digests at 08:00, 18:00 (Europe/Kyiv); the next one in 4 h. "
        "Keyword alerts still arrive at once. /digest off to undo."
    )
    assert (await storage.get_chat(CHAT)).digest_times == ("08:00", "18:00")
    assert (await commands.digest(CHAT, "25:00")).kind == ReplyKind.ERROR
    assert (await commands.digest(CHAT, "08:00", "Mars/Base")).kind == ReplyKind.ERROR
    await commands.digest(CHAT, "off")
    assert (await storage.get_chat(CHAT)).digest_times == ()


async def test_status_and_resume_of_paused_feed(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, _ = env
    await commands.subscribe(CHAT, "bbc-world")
    await storage.save_feed_state(
        FeedState("bbc-world", failures=10, paused_reason="10 failed polls in a row")
    )
    status = await commands.status(CHAT)
    assert status.text == (
        "bbc-world: paused (10 failed polls in a row)\n"
        "This chat uses 1 of 100 feeds and 0 of 20 alerts."
    )
    await commands.unsubscribe(CHAT, "bbc-world")
    await commands.subscribe(CHAT, "bbc-world")
    state = await storage.get_feed_state("bbc-world")
    assert state.paused_reason is None and state.failures == 0


async def test_any_command_revives_unavailable_chat(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, storage, _ = env
    settings = await storage.get_chat(CHAT)
    await storage.save_chat(replace(settings, available=False, failures=3))
    await commands.dispatch(CHAT, "/latest")
    assert (await storage.get_chat(CHAT)).available


async def test_dispatch_addressed_commands(
    env: tuple[Commands, FakeStorage, FakeFeedSource],
) -> None:
    commands, _, _ = env
    mine = await commands.dispatch(CHAT, "/help@NewsBot", bot_name="newsbot")
    assert mine is not None and mine.kind == ReplyKind.INFO
    assert await commands.dispatch(CHAT, "/help@otherbot", bot_name="newsbot") is None
    assert await commands.dispatch(CHAT, "hello there") is None
