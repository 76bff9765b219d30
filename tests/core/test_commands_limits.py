"""The chat commands' edge cases through the command table: limits, empty lists, bad input,
and failures that must surface as themselves rather than as the wrong plain sentence."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.core.command_parse import Call, parse
from bot.core.commands import MAX_ALERTS_PER_CHAT, MAX_URL_CHARS, Commands, FetchLimits, export_name
from bot.core.models import ChatRef, Feed, FeedState, Platform, Reply, ReplyKind
from bot.core.ports import Summarised
from bot.core.search import store_embeddings
from tests.fakes import FakeEmbedder, FakeFeedSource, FakeStorage, FixedClock, make_story

CHAT = ChatRef(Platform.CONSOLE, "console")
CATALOGUE = [
    Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world", "europe"), "en"),
    Feed("dw-europe", "https://dw.example/rss", "DW Europe", ("europe",), "en"),
    Feed("euronews", "https://euronews.example/rss", "Euronews", ("europe",), "en"),
    Feed("ars-tech", "https://ars.example/rss", "Ars Technica", ("tech",), "en"),
]

Env = tuple[Commands, FakeStorage, FakeFeedSource, FixedClock]


def _commands(
    storage: FakeStorage, source: FakeFeedSource, clock: FixedClock, **kw: object
) -> Commands:
    return Commands(storage, source, clock, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def env() -> Env:
    storage = FakeStorage()
    await storage.sync_catalogue(CATALOGUE)
    source, clock = FakeFeedSource(), FixedClock()
    return _commands(storage, source, clock, max_feeds=2), storage, source, clock


async def run(commands: Commands, line: str) -> Reply:
    """``line`` through the command table, as an adapter would run it."""
    call = parse(line)
    assert call is not None
    if isinstance(call, Reply):
        return call
    return (await commands.run(CHAT, call)).reply


async def test_a_topic_larger_than_the_free_slots_is_refused_whole(env: Env) -> None:
    commands, storage, _, _ = env
    reply = await run(commands, "/subscribe europe")
    assert reply.kind == ReplyKind.ERROR
    assert reply.text == (
        "europe has 3 feeds this chat does not follow yet. This chat follows 0 feeds; the "
        "limit is 2. /unsubscribe one to free a slot (/subscriptions lists them)."
    )
    assert await storage.subscriptions(CHAT) == []  # nothing half-done


async def test_a_full_chat_may_still_name_a_feed_it_follows(env: Env) -> None:
    commands, _, _, _ = env
    await run(commands, "/subscribe bbc-world")
    await run(commands, "/subscribe ars-tech")
    full = await run(commands, "/subscribe dw-europe")
    assert full.kind == ReplyKind.ERROR and full.text.startswith("This chat follows 2 feeds;")
    again = await run(commands, "/subscribe BBC-World")
    assert again.kind == ReplyKind.INFO and "already follows bbc-world" in again.text
    assert await commands.feed_slots(CHAT) == 0
    await run(commands, "/unsubscribe ars-tech")
    assert await commands.feed_slots(CHAT) == 1


async def test_unsubscribe_all_from_nothing_and_an_unknown_name(env: Env) -> None:
    commands, _, _, _ = env
    nothing = await run(commands, "/unsubscribe ALL")
    assert nothing.kind == ReplyKind.INFO and nothing.text == "This chat has no subscriptions."
    unknown = await run(commands, "/unsubscribe bbc-wrld")
    assert unknown.kind == ReplyKind.ERROR
    assert "Did you mean bbc-world?" in unknown.text


async def test_unsubscribe_from_an_unknown_url_names_it(env: Env) -> None:
    commands, _, source, _ = env
    reply = await run(commands, "/unsubscribe https://never.example/feed")
    assert reply.kind == ReplyKind.ERROR
    assert reply.text == (
        "No feed with the URL https://never.example/feed. /subscriptions lists this chat's feeds."
    )
    assert source.calls == []  # nothing is fetched to unsubscribe


async def test_a_url_over_the_limit_is_refused_before_any_fetch(env: Env) -> None:
    commands, storage, source, _ = env
    url = "https://long.example/" + "a" * MAX_URL_CHARS
    source.resolvable[url] = Feed("long", url, "Long")
    reply = await run(commands, f"/subscribe {url}")
    assert reply.kind == ReplyKind.ERROR
    assert reply.text == f"That address is over {MAX_URL_CHARS} characters long."
    assert await storage.find_feed_by_url(url) is None


async def test_latest_of_an_unknown_url_is_an_error_not_a_word_search(env: Env) -> None:
    commands, storage, _, clock = env
    await storage.record_story(
        make_story(1, "bbc-world", title="Unknown example host"),
        Summarised("Unknown example host", "Text about https://nowhere.example/rss."),
        clock.now(),
        deliver=False,
    )
    reply = await run(commands, "/latest https://nowhere.example/rss")
    assert reply.kind == ReplyKind.ERROR and not reply.briefs
    assert reply.text.startswith("No feed with the URL https://nowhere.example/rss.")


async def test_latest_words_with_only_related_stories(env: Env) -> None:
    storage = env[1]
    embedder = FakeEmbedder(bridge="bridge span river", war="war army")
    commands = _commands(storage, FakeFeedSource(), env[3], embedder=embedder)
    recorded = [
        await storage.record_story(
            make_story(n, "bbc-world", title=title),
            Summarised(title, title),
            env[3].now(),
            deliver=False,
        )
        for n, title in enumerate(["River bridge span reopens", "Army moves east"])
    ]
    assert await store_embeddings(storage, embedder, recorded) == 2
    reply = await run(commands, "/latest river")
    # "river" is a word of the first headline: a match, not a related one.
    assert [b.title for b in reply.briefs] == ["River bridge span reopens"]
    related = await run(commands, "/latest span bridge viaduct")
    assert related.kind == ReplyKind.INFO
    assert not related.briefs
    assert related.text == 'No stories match "span bridge viaduct"; 1 related by meaning:'
    assert [b.title for b in related.related] == ["River bridge span reopens"]


async def test_the_alert_limit_and_a_duplicate_in_other_case(env: Env) -> None:
    commands, storage, _, _ = env
    first = await run(commands, "/alert Kursk OR Sudzha")
    assert first.kind == ReplyKind.OK
    dup = await run(commands, "/alert kursk or sudzha")
    assert dup.kind == ReplyKind.INFO
    assert dup.text == 'This chat already has the alert "kursk or sudzha".'
    for n in range(1, MAX_ALERTS_PER_CHAT):
        assert (await run(commands, f"/alert word{n}")).kind == ReplyKind.OK
    over = await run(commands, "/alert one-too-many")
    assert over.kind == ReplyKind.ERROR
    assert over.text.startswith(f"This chat has {MAX_ALERTS_PER_CHAT} alerts, the most allowed.")
    assert len(await storage.alerts(CHAT)) == MAX_ALERTS_PER_CHAT


async def test_alerts_list_and_an_alert_of_another_chat(env: Env) -> None:
    commands, storage, _, clock = env
    empty = await run(commands, "/alerts")
    assert empty.text == "No alerts here. Add one with /alert <words>."
    theirs = await storage.add_alert(ChatRef(Platform.TELEGRAM, "9"), "theirs", clock.now())
    refused = await run(commands, f"/unalert {theirs.id}")
    assert refused.kind == ReplyKind.ERROR
    assert refused.text == f"This chat has no alert {theirs.id}. /alerts shows the ids."
    assert [a.id for a in await storage.alerts()] == [theirs.id]  # still there
    zero = await run(commands, "/unalert 0")
    assert zero.kind == ReplyKind.ERROR and zero.text.startswith("Usage: /unalert <id>.")


async def test_quiet_and_digest_need_a_time_before_a_zone(env: Env) -> None:
    commands, storage, _, _ = env
    quiet = await commands.quiet(CHAT, None, "Europe/Kyiv")
    assert quiet.kind == ReplyKind.ERROR
    assert quiet.text == "Give the hours too, e.g. /quiet 22:00-07:00 Europe/Kyiv."
    digest = await commands.digest(CHAT, None, "Europe/Kyiv")
    assert digest.kind == ReplyKind.ERROR and "Give the times too" in digest.text
    assert (await storage.get_chat(CHAT)).timezone == "UTC"  # the zone was not taken alone


async def test_importance_shows_sets_and_refuses(env: Env) -> None:
    commands, storage, _, _ = env
    shown = await run(commands, "/importance")
    assert shown.kind == ReplyKind.INFO and shown.text.startswith("Every story is pushed at")
    for bad in ("/importance 0", "/importance 11", "/importance two"):
        reply = await run(commands, bad)
        assert reply.kind == ReplyKind.ERROR, bad
        assert reply.text == "Give a number of sources from 1 to 10, or off: /importance 2."
    assert (await run(commands, "/importance 3")).kind == ReplyKind.OK
    assert (await storage.get_chat(CHAT)).importance == 3
    now = await run(commands, "/importance")
    assert now.text.startswith("Stories are pushed here once 3 different sources carry them")
    off = await run(commands, "/importance OFF")
    assert off.text == "Importance off: every story is pushed at its first source."
    assert (await storage.get_chat(CHAT)).importance == 1


async def test_language_shows_refuses_and_sets(env: Env) -> None:
    commands, storage, _, _ = env
    shown = await run(commands, "/language")
    assert shown.text.startswith("The bot speaks English here.")
    bad = await run(commands, "/language xx")
    assert bad.kind == ReplyKind.ERROR and bad.text.startswith('No language "xx".')
    assert (await storage.get_chat(CHAT)).language is None
    assert (await run(commands, "/language de")).kind == ReplyKind.OK
    assert (await storage.get_chat(CHAT)).language == "de"
    assert await commands.speaks(CHAT, "fr") == "de"  # the chat's choice beats the caller's


async def test_speaks_keeps_a_callers_language_only_when_the_bot_has_it(env: Env) -> None:
    commands, storage, _, _ = env
    assert await commands.speaks(CHAT, "pt-BR") == "en"
    assert (await storage.get_chat(CHAT)).language is None
    assert await commands.speaks(CHAT, "uk") == "uk"
    assert (await storage.get_chat(CHAT)).language == "uk"


async def test_feeds_of_an_empty_catalogue_say_how_to_add_one() -> None:
    commands = _commands(FakeStorage(), FakeFeedSource(), FixedClock())
    reply = await run(commands, "/feeds")
    assert reply.kind == ReplyKind.INFO
    assert reply.text == "No feeds yet. Add one with /subscribe <feed URL>."
    latest = await run(commands, "/latest")
    assert latest.text == "There are no feeds yet. Add one with /subscribe <feed URL>."
    export = await run(commands, "/export")
    assert export.document is None and "nothing to export" in export.text


async def test_export_names_the_file_after_the_chat(env: Env) -> None:
    commands, _, _, _ = env
    await run(commands, "/subscribe bbc-world")
    reply = await run(commands, "/export")
    assert reply.document is not None
    assert reply.document.name == "newsbrief-console-console.opml"
    assert b'xmlUrl="https://bbc.example/rss"' in reply.document.data
    thread = ChatRef(Platform.DISCORD, "123", "456")
    assert export_name(thread) == "newsbrief-discord-123-456.opml"
    odd = ChatRef(Platform.TELEGRAM, "-100/../x")
    assert export_name(odd) == "newsbrief-telegram-100-x.opml"


async def test_why_empty_for_a_feed_failing_since_it_was_added(env: Env) -> None:
    commands, storage, _, clock = env
    await run(commands, "/subscribe bbc-world")
    await storage.save_feed_state(
        FeedState("bbc-world", failures=2, last_error="HTTP 404 from bbc.example")
    )
    reply = await run(commands, "/latest")
    assert reply.text == (
        "No stories yet.\nbbc-world: failing since it was added (2 failed polls): "
        "the feed is not at that address any more (HTTP 404)."
    )
    await storage.save_feed_state(
        FeedState(
            "bbc-world",
            failures=1,
            last_error="HTTP 500 from bbc.example",
            last_success_at=clock.now() - timedelta(hours=3),
        )
    )
    again = await run(commands, "/latest")
    assert again.text.endswith(
        "bbc-world: failing since its last success 3 h ago (1 failed poll): "
        "the server had an error (HTTP 500)."
    )


async def test_a_paused_reason_of_an_older_version_is_shown_as_stored(env: Env) -> None:
    commands, storage, _, _ = env
    await run(commands, "/subscribe bbc-world")
    old = "3 failed polls in a row, last: ConnectError('boom')"
    await storage.save_feed_state(FeedState("bbc-world", failures=3, paused_reason=old))
    status = await run(commands, "/status")
    assert status.text.splitlines()[0] == f"bbc-world: paused ({old})"
    await storage.save_feed_state(
        FeedState("bbc-world", failures=3, paused_reason=old, last_error="HTTP 404 from x")
    )
    status = await run(commands, "/status")
    assert status.text.splitlines()[0] == (
        "bbc-world: paused (3 failed polls in a row, last: the feed is not at that address "
        "any more (HTTP 404))"
    )


class _SlowSource(FakeFeedSource):
    """Resolves only when released; raises the error it was given instead, if any."""

    def __init__(self, error: BaseException | None = None) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.error = error

    async def resolve(self, url: str) -> Feed:
        if self.error is not None:
            raise self.error
        await self.release.wait()
        return Feed("slow", url, "Slow", trusted=False)


async def test_a_third_fetch_of_one_chat_is_refused_while_two_run() -> None:
    storage = FakeStorage()
    source = _SlowSource()
    commands = _commands(storage, source, FixedClock(), fetch_limits=FetchLimits(60.0, 2))
    first = asyncio.create_task(commands.subscribe(CHAT, "https://a.example/rss"))
    second = asyncio.create_task(commands.subscribe(CHAT, "https://b.example/rss"))
    await asyncio.sleep(0)
    refused = await commands.subscribe(CHAT, "https://c.example/rss")
    assert refused.kind == ReplyKind.ERROR
    assert refused.text == (
        "This chat already has 2 feed checks under way. Wait for the answer, then try again."
    )
    other = ChatRef(Platform.TELEGRAM, "2")
    third = asyncio.create_task(commands.subscribe(other, "https://d.example/rss"))
    await asyncio.sleep(0)
    source.release.set()
    replies = await asyncio.gather(first, second, third)
    assert all(r.kind == ReplyKind.OK for r in replies)  # another chat had its own slots
    assert commands._fetching == {}  # every slot was given back


async def test_a_timeout_inside_the_source_is_not_reported_as_the_deadline() -> None:
    source = _SlowSource(TimeoutError("the source's own timer"))
    commands = _commands(FakeStorage(), source, FixedClock(), fetch_limits=FetchLimits(60.0, 2))
    with pytest.raises(TimeoutError, match="the source's own timer"):
        await commands.subscribe(CHAT, "https://a.example/rss")
    assert commands._fetching == {}


async def test_run_shows_a_notice_only_to_an_admin_and_only_once(env: Env) -> None:
    commands, storage, _, _ = env
    await commands.leave_notice(CHAT, "The bot cannot post here: give it the right to.")
    asked: list[str] = []

    async def not_admin() -> bool:
        asked.append("no")
        return False

    async def admin() -> bool:
        asked.append("yes")
        return True

    call = parse("/status")
    assert isinstance(call, Call)
    plain = await commands.run(CHAT, call, admin=not_admin)
    assert plain.notice is None and asked == ["no"]
    shown = await commands.run(CHAT, call, admin=admin)
    assert shown.notice == "The bot cannot post here: give it the right to."
    later = await commands.run(CHAT, call, admin=admin)
    assert later.notice is None and asked == ["no", "yes"]  # no notice waits: nobody asked
    assert (await storage.get_chat(CHAT)).notice is None
