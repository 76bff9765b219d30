"""The Storage contract, run against the in-memory fake and SQLite alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from bot.core.models import ChatRef, DeliveryState, Feed, Platform
from bot.core.ports import Storage, Summarised
from bot.furniture import FurnitureStore as SentenceStore
from tests.fakes import T0, count_pending, make_story, pending_deliveries

CHAT = ChatRef(Platform.TELEGRAM, "100")
OTHER = ChatRef(Platform.DISCORD, "200", "thread-7")
FEEDS = [
    Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world", "europe"), "en"),
    Feed("dw-europe", "https://dw.example/rss", "DW Europe", ("europe",), "en"),
]


async def test_catalogue_sync_and_lookup(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    assert [f.id for f in await storage.list_feeds()] == ["bbc-world", "dw-europe"]
    feed = next(f for f in await storage.list_feeds() if f.id == "bbc-world")
    assert feed.topics == ("world", "europe") and feed.trusted
    assert await storage.find_feed_by_url("https://dw.example/rss") == FEEDS[1]
    await storage.sync_catalogue(FEEDS[:1])
    state = await storage.get_feed_state("dw-europe")
    assert state.paused_reason == "removed from feeds.yaml"
    assert [f.id for f, _ in await storage.due_feeds(T0)] == ["bbc-world"]
    await storage.sync_catalogue(FEEDS)
    assert (await storage.get_feed_state("dw-europe")).paused_reason is None


async def test_added_feed_gets_unique_id_and_alias_after_move(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    added = await storage.add_feed(
        Feed("bbc-world", "https://new.example/feed", "New", trusted=False)
    )
    assert added.id == "bbc-world-2" and not added.trusted
    again = await storage.add_feed(Feed("other", "https://new.example/feed", "New"))
    assert again.id == "bbc-world-2"
    await storage.move_feed("bbc-world-2", "https://new.example/moved")
    moved = await storage.find_feed_by_url("https://new.example/feed")
    assert moved is not None and moved.url == "https://new.example/moved"


async def test_added_feed_keeps_the_page_address_it_was_found_by(storage: Storage) -> None:
    page, url = "https://site.example/world", "https://site.example/world.rss"
    added = await storage.add_feed(Feed("site", url, "Site", trusted=False), alias=page)
    assert await storage.find_feed_by_url(page) == added
    again = await storage.add_feed(Feed("x", url, "Site"), alias="https://site.example/")
    assert again == added and await storage.find_feed_by_url("https://site.example/") == added
    # An alias never hijacks an address that already is a feed's own.
    other = await storage.add_feed(Feed("o", "https://o.example/rss", "O"), alias=url)
    assert await storage.find_feed_by_url(url) == added and other.id == "o"


async def test_subscriptions(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    assert await storage.subscribe(CHAT, ["bbc-world", "dw-europe"], T0) == [
        "bbc-world",
        "dw-europe",
    ]
    assert await storage.subscribe(CHAT, ["bbc-world"], T0) == []
    await storage.subscribe(OTHER, ["bbc-world"], T0)
    assert await storage.subscribers("bbc-world") == [CHAT, OTHER]
    assert [f.id for f in await storage.subscriptions(OTHER)] == ["bbc-world"]
    assert await storage.unsubscribe(CHAT, ["dw-europe", "nope"]) == ["dw-europe"]
    assert await storage.unsubscribe(CHAT, None) == ["bbc-world"]
    assert await storage.subscriptions(CHAT) == []


async def test_feed_state_round_trip_and_due(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    state = replace(
        await storage.get_feed_state("bbc-world"),
        etag='W/"abc"',
        last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        next_poll_at=T0 + timedelta(minutes=10),
        failures=2,
        primed=True,
        interval_seconds=750,
        content_hash="ab" * 32,
    )
    await storage.save_feed_state(state)
    assert await storage.get_feed_state("bbc-world") == state
    assert [f.id for f, _ in await storage.due_feeds(T0)] == ["dw-europe"]
    due_later = await storage.due_feeds(T0 + timedelta(minutes=10))
    assert {f.id for f, _ in due_later} == {"bbc-world", "dw-europe"}
    both = [
        replace(state, next_poll_at=T0 + timedelta(hours=1), etag=None),
        replace(await storage.get_feed_state("dw-europe"), failures=1, last_error="HTTP 500"),
        replace(state, feed_id="gone"),  # a feed removed meanwhile is skipped
    ]
    await storage.save_feed_states(both)
    assert await storage.get_feed_state("bbc-world") == both[0]
    assert await storage.get_feed_state("dw-europe") == both[1]


async def test_story_dedup_and_outbox(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    s1, s2 = make_story(1, "bbc-world"), make_story(2, "bbc-world")
    assert await storage.unseen("bbc-world", [s1, s2, s1]) == [s1, s2]
    brief = await storage.record_story(s1, Summarised("Title 1", "Sum 1"), T0, deliver=True)
    assert brief.source == "BBC World" and brief.title == "Title 1"
    # Same entry again, re-dated or with a new guid but the same link: not new.
    redated = replace(s1, guid="other-guid", published=T0 + timedelta(days=1))
    assert await storage.unseen("bbc-world", [redated, s2]) == [s2]
    # Another feed carries the same story: one brief, two sources, no second outbox row.
    await storage.subscribe(CHAT, ["dw-europe"], T0)
    await storage.subscribe(OTHER, ["dw-europe"], T0)
    assert await storage.brief_for_story(s1.key) is not None
    again = await storage.record_story(replace(s1, feed_id="dw-europe"), None, T0, deliver=True)
    assert again.id == brief.id and again.also_sources == ("DW Europe",)
    claimed = await storage.claim_deliveries(T0, 10, 60)
    assert sorted((d.chat, d.brief.id) for d in claimed) == sorted(
        [(CHAT, brief.id), (OTHER, brief.id)]
    )
    assert all(d.state == DeliveryState.SENDING for d in claimed)
    assert await storage.claim_deliveries(T0, 10, 60) == []  # leased
    await storage.mark_sent(claimed[0].id, T0)
    await storage.retry_delivery(claimed[1].id, T0 + timedelta(seconds=5), "429")
    assert await storage.claim_deliveries(T0 + timedelta(seconds=4), 10, 60) == []
    retried = await storage.claim_deliveries(T0 + timedelta(seconds=5), 10, 60)
    assert [d.id for d in retried] == [claimed[1].id] and retried[0].attempts == 1


async def test_guid_and_link_decide_identity_titles_only_without_them(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    s1 = make_story(1, "bbc-world", title="Letters to the editor")
    await storage.record_story(s1, Summarised("Letters", "Sum"), T0, deliver=False)
    # A recurring headline with its own guid and link is a new story...
    s2 = make_story(2, "bbc-world", title="Letters to the editor")
    # ...a new guid on a known link, or a new link on a known guid, is not.
    relinked = replace(s1, link="https://news.example/1-updated", key="https://news.example/1-u")
    assert await storage.unseen("bbc-world", [s2, relinked]) == [s2]
    bare = make_story(3, "bbc-world", guid="", link="", title="Only a title")
    await storage.record_story(
        replace(bare, key="title:bbc-world:x"), Summarised("Only", "Sum"), T0, deliver=False
    )
    same_title = replace(bare, title="  ONLY a   title ")
    assert await storage.unseen("bbc-world", [same_title]) == []


async def test_expired_lease_is_claimed_again(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    await storage.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    first = await storage.claim_deliveries(T0, 10, 30)
    assert len(first) == 1
    assert await storage.claim_deliveries(T0 + timedelta(seconds=29), 10, 30) == []
    second = await storage.claim_deliveries(T0 + timedelta(seconds=31), 10, 30)
    assert [d.id for d in second] == [first[0].id]


async def test_rows_claimed_by_a_dead_run_are_reclaimed_at_once(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    await storage.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    claimed = await storage.claim_deliveries(T0, 10, 300)  # ... and then the process dies
    restart = T0 + timedelta(seconds=20)
    assert await storage.claim_deliveries(restart, 10, 300) == []  # the lease still holds
    assert await storage.reclaim_deliveries(restart) == 1
    assert [d.id for d in await storage.claim_deliveries(restart, 10, 300)] == [claimed[0].id]
    assert await storage.reclaim_deliveries(restart) == 1  # claimed again, by this run


async def test_alert_rows_reach_unsubscribed_chats_once(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    story = make_story(3, "bbc-world")
    await storage.record_story(
        story,
        Summarised("T", "S"),
        T0,
        deliver=True,
        alerts={OTHER: ["kursk"], CHAT: ["kursk"]},
    )
    rows = await storage.claim_deliveries(T0, 10, 60)
    assert {(d.chat, d.alert_terms) for d in rows} == {(CHAT, ("kursk",)), (OTHER, ("kursk",))}


async def test_unavailable_chat_keeps_rows(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    await storage.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    settings = await storage.get_chat(CHAT)
    await storage.save_chat(replace(settings, available=False, failures=3))
    assert await storage.claim_deliveries(T0, 10, 60) == []
    assert len(await pending_deliveries(storage, CHAT)) == 1
    await storage.save_chat(replace(settings, available=True, failures=0))
    assert len(await storage.claim_deliveries(T0, 10, 60)) == 1


async def test_a_chats_language_is_kept_and_follows_a_moved_chat(storage: Storage) -> None:
    assert (await storage.get_chat(CHAT)).language is None
    await storage.save_chat(replace(await storage.get_chat(CHAT), language="uk"))
    assert (await storage.get_chat(CHAT)).language == "uk"
    await storage.save_chat(replace(await storage.get_chat(CHAT), timezone="Europe/Kyiv"))
    assert (await storage.get_chat(CHAT)).language == "uk"
    moved = ChatRef(Platform.TELEGRAM, "-100100")
    await storage.move_chat(CHAT, moved)
    assert (await storage.get_chat(moved)).language == "uk"


async def test_move_chat_keeps_subscriptions_alerts_and_rows(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    old, new = ChatRef(Platform.TELEGRAM, "-100"), ChatRef(Platform.TELEGRAM, "-100200")
    await storage.subscribe(old, ["bbc-world"], T0)
    await storage.add_alert(old, "kursk", T0)
    await storage.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    await storage.move_chat(old, new)
    assert [f.id for f in await storage.subscriptions(new)] == ["bbc-world"]
    assert await storage.subscriptions(old) == []
    assert [a.query for a in await storage.alerts(new)] == ["kursk"]
    assert [d.chat for d in await pending_deliveries(storage, new)] == [new]


async def test_alerts_and_latest(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    a = await storage.add_alert(CHAT, "kursk OR sudzha", T0)
    assert [x.query for x in await storage.alerts(CHAT)] == ["kursk OR sudzha"]
    assert [x.chat for x in await storage.alerts()] == [CHAT]
    assert not await storage.remove_alert(OTHER, a.id)
    assert await storage.remove_alert(CHAT, a.id)
    assert await storage.alerts(CHAT) == []
    for n in range(4):
        feed = "bbc-world" if n % 2 else "dw-europe"
        await storage.record_story(make_story(n, feed), Summarised(f"T{n}", "S"), T0, deliver=False)
    assert [b.title for b in await storage.latest(None, 3)] == ["T3", "T2", "T1"]
    assert [b.title for b in await storage.latest(["bbc-world"], 5)] == ["T3", "T1"]


# -- delivery: outbox transitions, retention, near-duplicate sources ---------------------------
async def test_release_counts_no_attempt_and_reschedule_pulls_rows_forward(
    storage: Storage,
) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    for n in (1, 2):
        await storage.record_story(
            make_story(n, "bbc-world"), Summarised("T", "S"), T0, deliver=True
        )
    first, second = await storage.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(hours=10)
    await storage.retry_delivery(first.id, later, "429")
    await storage.release_deliveries([second.id], later, "held back")
    assert await storage.claim_deliveries(T0 + timedelta(hours=1), 10, 60) == []
    assert await storage.reschedule_pending(CHAT, T0 + timedelta(hours=1)) == 2
    rows = await storage.claim_deliveries(T0 + timedelta(hours=1), 10, 60)
    assert sorted((r.id, r.attempts) for r in rows) == [(first.id, 1), (second.id, 0)]


async def test_alert_sends_count_messages_after_since(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    for n in (1, 2, 3):
        await storage.record_story(
            make_story(n, "bbc-world"),
            Summarised("T", "S"),
            T0,
            deliver=True,
            alerts={CHAT: ["kursk"]},
        )
    one, two, three = await storage.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(minutes=5)
    await storage.mark_sent(one.id, T0)
    await storage.mark_sent_many([two.id, three.id], later, batched=True)  # one digest
    assert await storage.alert_sends(CHAT, T0 - timedelta(hours=1)) == [T0, later]
    assert await storage.alert_sends(CHAT, T0) == [later]
    assert await storage.alert_sends(OTHER, T0 - timedelta(hours=1)) == []


async def test_expire_open_rows_and_purge_finished_ones(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    for n in (1, 2):
        await storage.record_story(
            make_story(n, "bbc-world"), Summarised("T", "S"), T0, deliver=True
        )
    sent, _ = await storage.claim_deliveries(T0, 10, 60)
    await storage.mark_sent(sent.id, T0)
    assert await storage.queue_notice(CHAT, "Feed paused", T0)
    (notice,) = await storage.claim_notices(T0, 10, 60)
    await storage.finish_notice(notice.id, T0)
    assert await storage.queue_notice(OTHER, "Not sent yet", T0)
    assert await storage.expire_deliveries(T0, "old") == 0
    assert await storage.expire_deliveries(T0 + timedelta(seconds=1), "old") == 1
    assert await count_pending(storage) == 0
    assert await storage.purge_deliveries(T0) == 0
    # Two outbox rows (sent, expired) and the sent notice; the unsent notice stays.
    assert await storage.purge_deliveries(T0 + timedelta(seconds=1)) == 3
    assert [n.text for n in await storage.pending_notices(OTHER)] == ["Not sent yet"]


async def test_near_duplicate_source_joins_a_brief_and_is_found_by_its_link(
    storage: Storage,
) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world", "dw-europe"], T0)
    await storage.subscribe(OTHER, ["dw-europe"], T0)
    original = make_story(1, "bbc-world")
    brief = await storage.record_story(original, Summarised("T", "S"), T0, deliver=True)
    dup = make_story(2, "dw-europe", title="Same story, other words")
    assert [b.id for b in await storage.recent_briefs(T0, exclude_feed="dw-europe")] == [brief.id]
    joined = await storage.add_source(dup, brief.id, T0, deliver=True)
    assert joined.id == brief.id and joined.also_sources == ("DW Europe",)
    assert await storage.recent_briefs(T0, exclude_feed="dw-europe") == []
    found = await storage.brief_for_story(dup.key)
    assert found is not None and found.id == brief.id
    rows = await storage.claim_deliveries(T0, 10, 60)
    assert sorted((r.chat.chat_id, r.brief.id) for r in rows) == [
        ("100", brief.id),
        ("200", brief.id),
    ]


async def test_sentences_carried_by_enough_stories_of_one_feed(storage: Storage) -> None:
    # The sentence sightings behind learned publisher furniture (bot.furniture).
    sql = cast(SentenceStore, storage)
    await storage.sync_catalogue(FEEDS)
    since, day = T0 - timedelta(days=30), timedelta(days=1)

    async def learn(feed: str, story: int, sentences: list[int], at: datetime = T0) -> set[int]:
        return await sql.learn_sentences(feed, story, sentences, at, since=since, min_stories=3)

    stock, big = -(2**63), 2**63 - 1  # the extremes of the signed 64-bit hashes
    assert await learn("bbc-world", 1, [stock, 11, big]) == set()
    assert await learn("bbc-world", 2, [stock, 12, big]) == set()
    assert await learn("bbc-world", 2, [stock, 12]) == set()  # the same story counts once
    assert await learn("dw-europe", 3, [stock, 13]) == set()  # another feed's story
    assert await learn("bbc-world", 4, [stock, 14, big]) == {stock, big}
    assert await learn("dw-europe", 5, [stock, 15]) == set()
    # Sightings older than the window do not count, and pruning forgets them.
    assert await learn("dw-europe", 6, [stock], at=since - day) == set()
    assert await sql.prune_sentences(since) == 1
    assert await learn("dw-europe", 7, [stock], at=T0 + day) == {stock}
    assert await sql.prune_sentences(T0 + 2 * day) == 14
    assert await learn("bbc-world", 8, [stock]) == set()


async def test_a_released_notice_comes_due_later_without_an_attempt(storage: Storage) -> None:
    assert await storage.queue_notice(CHAT, "Feed paused", T0)
    (notice,) = await storage.claim_notices(T0, 10, 60)
    later = T0 + timedelta(hours=8)
    await storage.release_notices([notice.id], later, "quiet hours")
    assert await storage.claim_notices(T0 + timedelta(minutes=5), 10, 60) == []
    (again,) = await storage.claim_notices(later, 10, 60)
    assert (again.id, again.attempts) == (notice.id, 0)


async def test_record_seen_stores_many_stories_unsent_as_record_story_would(
    storage: Storage,
) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world", "dw-europe"], T0)
    carried = await storage.record_story(
        make_story(1, "bbc-world"), Summarised("First", "S"), T0, deliver=False
    )
    near = make_story(2, "bbc-world", title="Near duplicate")
    await storage.add_source(near, carried.id, T0, deliver=False)  # found by its link
    flood = [make_story(n, "dw-europe") for n in range(3, 603)]  # more than one IN (...) list
    batch = [
        *((s, Summarised(s.title, "teaser")) for s in flood),
        (replace(make_story(1, "dw-europe"), guid="dw-1"), Summarised("Other words", "x")),
        (replace(near, feed_id="dw-europe", guid="dw-2"), Summarised("Near", "x")),
        (flood[0], Summarised("Twice in one batch", "x")),
    ]
    await storage.record_seen(batch, T0)
    await storage.record_seen([], T0)
    assert await pending_deliveries(storage, CHAT) == []  # stored, not pushed
    assert await storage.unseen("dw-europe", [s for s, _ in batch]) == []
    latest = await storage.latest(["dw-europe"], 1000)
    assert len(latest) == 601 and {b.title for b in latest} >= {"First", "Story number 3 happened"}
    assert "Twice in one batch" not in {b.title for b in latest}
    joined = await storage.brief_for_story(make_story(1, "x").key)
    assert joined is not None and joined.id == carried.id and joined.title == "First"
    assert joined.also_sources == ("DW Europe",)
    via_link = await storage.brief_for_story(near.key)
    assert via_link is not None and via_link.id == carried.id
    # A later poll of the same stories changes nothing; a new story is stored as usual.
    await storage.record_seen([(flood[1], Summarised("Again", "x"))], T0)
    assert len(await storage.latest(["dw-europe"], 1000)) == 601
    fresh = make_story(700, "dw-europe")
    await storage.record_seen([(fresh, Summarised("Fresh", "x"))], T0)
    assert [b.title for b in await storage.latest(["dw-europe"], 1)] == ["Fresh"]


# -- feed leases: each due feed to one worker per interval ------------------------------------
async def test_claimed_feeds_are_leased_until_their_state_is_saved(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    claimed = await storage.due_feeds(T0, limit=1, lease_seconds=300)
    assert [f.id for f, _ in claimed] == ["bbc-world"]  # never polled: by id
    assert [f.id for f, _ in await storage.due_feeds(T0, lease_seconds=300)] == ["dw-europe"]
    assert await storage.due_feeds(T0) == [] and await storage.due_feeds(T0, lease_seconds=1) == []
    _, state = claimed[0]
    await storage.save_feed_state(replace(state, next_poll_at=T0 + timedelta(minutes=10)))
    assert await storage.due_feeds(T0 + timedelta(seconds=299)) == []  # dw-europe still leased
    ten = T0 + timedelta(minutes=10)
    assert [f.id for f, _ in await storage.due_feeds(ten, lease_seconds=60)] == [
        "dw-europe",  # the lease ran out: most overdue (never polled) first
        "bbc-world",  # released by the save, due again ten minutes later
    ]


async def test_an_expired_feed_lease_is_claimable_again(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS[:1])
    assert len(await storage.due_feeds(T0, lease_seconds=30)) == 1  # ... and the worker dies
    assert await storage.due_feeds(T0 + timedelta(seconds=29), lease_seconds=30) == []
    again = await storage.due_feeds(T0 + timedelta(seconds=30), lease_seconds=30)
    assert [f.id for f, _ in again] == ["bbc-world"]


async def test_batched_saves_and_release_end_feed_leases(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    (_, bbc_state), (dw, _) = await storage.due_feeds(T0, lease_seconds=300)
    await storage.save_feed_states([replace(bbc_state, failures=1)])  # next poll still due
    await storage.release_feeds([dw.id])
    assert [f.id for f, _ in await storage.due_feeds(T0)] == ["bbc-world", "dw-europe"]


async def test_recent_briefs_after_a_brief_and_the_story_lock(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    async with storage.story_lock():  # what the pipeline holds to store a new brief
        first = await storage.record_story(
            make_story(1, "bbc-world"), Summarised("A", "S"), T0, deliver=False
        )
    async with storage.story_lock():
        second = await storage.record_story(
            make_story(2, "bbc-world"), Summarised("B", "S"), T0, deliver=False
        )
    assert second.id > first.id  # stored in turn, numbered in turn
    recent = await storage.recent_briefs(T0, exclude_feed="dw-europe", after_id=first.id)
    assert [b.id for b in recent] == [second.id]


async def test_importance_queues_a_story_when_its_nth_source_joins(storage: Storage) -> None:
    third = ChatRef(Platform.TELEGRAM, "300")
    digest = ChatRef(Platform.TELEGRAM, "400")
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)  # n = 2, follows the first source
    await storage.subscribe(OTHER, ["bbc-world"], T0)  # n = 1: at once, as before
    await storage.subscribe(third, ["dw-europe"], T0)  # n = 2, follows the second source
    await storage.subscribe(digest, ["bbc-world"], T0)  # n = 2 but digests: every story
    for chat, settings in ((CHAT, {}), (third, {}), (digest, {"digest_times": ("08:00",)})):
        await storage.save_chat(replace(await storage.get_chat(chat), importance=2, **settings))
    assert (await storage.get_chat(CHAT)).importance == 2
    assert (await storage.get_chat(OTHER)).importance == 1
    first = make_story(1, "bbc-world")
    brief = await storage.record_story(first, Summarised("T", "S"), T0, deliver=True)
    now = await storage.claim_deliveries(T0, 10, 60)
    assert {d.chat for d in now} == {OTHER, digest}
    await storage.mark_sent_many([d.id for d in now], T0, batched=False)
    assert await pending_deliveries(storage, CHAT) == []  # held: one source only
    again = replace(first, feed_id="dw-europe", guid="other-guid")
    later = T0 + timedelta(minutes=5)
    await storage.add_source(again, brief.id, later, deliver=True)
    rows = await storage.claim_deliveries(later, 10, 60)
    assert sorted(str(d.chat) for d in rows) == sorted([str(CHAT), str(third)])
    assert all(d.brief.also_sources == ("DW Europe",) for d in rows)
    await storage.mark_sent_many([d.id for d in rows], later, batched=False)
    # A third source reaches nobody new; OTHER and digest are never queued twice.
    await storage.sync_catalogue([*FEEDS, Feed("ap", "https://ap.example/rss", "AP")])
    await storage.add_source(replace(first, feed_id="ap", guid="g3"), brief.id, later, deliver=True)
    assert await storage.claim_deliveries(later, 10, 60) == []


async def test_a_later_source_arms_one_edit_per_pushed_message(storage: Storage) -> None:
    await storage.sync_catalogue([*FEEDS, Feed("ap", "https://ap.example/rss", "AP")])
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    await storage.subscribe(OTHER, ["bbc-world"], T0)
    first = make_story(1, "bbc-world")
    brief = await storage.record_story(first, Summarised("T", "S"), T0, deliver=True)
    rows = {d.chat: d for d in await storage.claim_deliveries(T0, 10, 60)}
    await storage.mark_sent(rows[CHAT].id, T0, message_id="4711")
    await storage.mark_sent(rows[OTHER].id, T0)  # no message id (the console): never edited

    def joined(feed_id: str) -> Any:
        return replace(first, feed_id=feed_id, guid=f"g-{feed_id}")

    minute = timedelta(minutes=1)
    await storage.add_source(joined("dw-europe"), brief.id, T0 + minute, deliver=True)
    assert await storage.claim_edits(T0 + 9 * minute, 10, 60) == []  # 10 min after the send
    await storage.add_source(joined("ap"), brief.id, T0 + 2 * minute, deliver=True)
    (edit,) = await storage.claim_edits(T0 + 10 * minute, 10, 60)
    assert (edit.chat, edit.message_id, edit.sent_at) == (CHAT, "4711", T0)
    assert edit.brief.also_sources == ("DW Europe", "AP")
    await storage.finish_edit(edit.id, T0 + 10 * minute)
    await storage.sync_catalogue(
        [
            *FEEDS,
            Feed("ap", "https://ap.example/rss", "AP"),
            Feed("rt", "https://rt.example/rss", "RT"),
        ]
    )
    await storage.add_source(joined("rt"), brief.id, T0 + 11 * minute, deliver=True)
    assert await storage.claim_edits(T0 + 19 * minute, 10, 60) == []  # 10 min after the edit
    (again,) = await storage.claim_edits(T0 + 20 * minute, 10, 60)
    assert again.id == edit.id and "RT" in again.brief.also_sources
    await storage.finish_edit(again.id, T0 + 20 * minute, error="message to edit not found")
    await storage.sync_catalogue([*FEEDS, Feed("x", "https://x.example/rss", "X")])
    await storage.add_source(joined("x"), brief.id, T0 + 40 * minute, deliver=True)
    assert await storage.claim_edits(T0 + 99 * minute, 10, 60) == []  # gone stays gone


async def test_importance_pushes_nothing_held_for_a_join_past_the_window(storage: Storage) -> None:
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["bbc-world"], T0)
    await storage.subscribe(OTHER, ["dw-europe"], T0)  # n = 1: gets it at its feed, as before
    await storage.save_chat(replace(await storage.get_chat(CHAT), importance=2))
    first = make_story(1, "bbc-world")
    brief = await storage.record_story(first, Summarised("T", "S"), T0, deliver=True)
    late = T0 + timedelta(days=3)
    again = replace(first, feed_id="dw-europe", guid="g2")
    window = late - timedelta(hours=36)
    await storage.add_source(again, brief.id, late, deliver=True, held_since=window)
    assert [d.chat for d in await storage.claim_deliveries(late, 10, 60)] == [OTHER]
