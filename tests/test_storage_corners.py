"""Corners of the Storage contract, on the in-memory fake and SQLite alike: chats and feeds that
do not exist, moves onto something already there, empty batches; then what SQLite alone
promises (a database failure is one ``StorageError`` saying what went wrong)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.core.errors import StorageError
from bot.core.models import ChatRef, Feed, FeedState, Platform
from bot.core.ports import Storage, Summarised
from bot.storage import SqlStorage, open_storage
from tests.fakes import T0, FakeStorage, make_story, pending_deliveries

OLD = ChatRef(Platform.TELEGRAM, "-100")
NEW = ChatRef(Platform.TELEGRAM, "-100200")
STRANGER = ChatRef(Platform.DISCORD, "404")
FEEDS = [
    Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world",), "en"),
    Feed("dw-europe", "https://dw.example/rss", "DW Europe", ("europe",), "en"),
]


@pytest.fixture(params=["fake", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "fake":
        fake = FakeStorage()
        await fake.sync_catalogue(FEEDS)
        yield fake
        return
    sql = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'corners.db'}")
    await sql.sync_catalogue(FEEDS)
    yield sql
    await sql.close()


async def test_a_chat_moved_onto_an_existing_chat_is_folded_into_it(store: Storage) -> None:
    await store.subscribe(OLD, ["bbc-world", "dw-europe"], T0)
    await store.subscribe(NEW, ["bbc-world"], T0)
    await store.add_alert(OLD, "kursk", T0)
    await store.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    await store.record_story(make_story(2, "dw-europe"), Summarised("U", "S"), T0, deliver=True)
    await store.move_chat(OLD, NEW)
    assert [f.id for f in await store.subscriptions(NEW)] == ["bbc-world", "dw-europe"]
    assert await store.subscriptions(OLD) == []
    assert [a.query for a in await store.alerts(NEW)] == ["kursk"]
    assert await store.alerts(OLD) == []
    rows = await pending_deliveries(store, NEW)
    # Story 1 was queued for both chats: it reaches the merged chat once.
    assert sorted(r.brief.title for r in rows) == ["T", "U"]
    assert {r.chat for r in rows} == {NEW}
    assert await pending_deliveries(store, OLD) == []


async def test_moving_or_leaving_a_chat_never_seen_changes_nothing(store: Storage) -> None:
    await store.subscribe(NEW, ["bbc-world"], T0)
    await store.move_chat(STRANGER, NEW)
    assert [f.id for f in await store.subscriptions(NEW)] == ["bbc-world"]
    assert await store.unsubscribe(STRANGER, None) == []
    assert await store.unsubscribe(STRANGER, ["bbc-world"]) == []
    assert await store.subscriptions(STRANGER) == []
    assert await store.reschedule_pending(STRANGER, T0) == 0
    assert await store.pending_notices(STRANGER) == []
    assert await store.alert_sends(STRANGER, T0 - timedelta(days=1)) == []
    assert await store.remove_alert(STRANGER, 1) is False


async def test_an_alert_is_removed_only_by_its_own_chat(store: Storage) -> None:
    alert = await store.add_alert(OLD, "kursk", T0)
    assert await store.remove_alert(NEW, alert.id) is False
    assert await store.remove_alert(OLD, alert.id + 1000) is False
    assert [a.id for a in await store.alerts()] == [alert.id]
    assert await store.remove_alert(OLD, alert.id) is True
    assert await store.remove_alert(OLD, alert.id) is False  # only once
    assert await store.alerts() == []


async def test_a_feed_is_not_moved_onto_another_feeds_address(store: Storage) -> None:
    await store.move_feed("bbc-world", "https://dw.example/rss")
    bbc = await store.find_feed_by_url("https://bbc.example/rss")
    dw = await store.find_feed_by_url("https://dw.example/rss")
    assert bbc is not None and bbc.id == "bbc-world"
    assert dw is not None and dw.id == "dw-europe"
    await store.move_feed("no-such-feed", "https://elsewhere.example/rss")
    assert await store.find_feed_by_url("https://elsewhere.example/rss") is None
    await store.move_feed("bbc-world", "https://bbc.example/rss")  # to where it is already
    assert [f.url for f in await store.list_feeds()] == [
        "https://bbc.example/rss",
        "https://dw.example/rss",
    ]


async def test_a_moved_feed_is_found_by_both_addresses_and_moves_back(store: Storage) -> None:
    await store.move_feed("bbc-world", "https://bbc.example/new-rss")
    old = await store.find_feed_by_url("https://bbc.example/rss")
    new = await store.find_feed_by_url("https://bbc.example/new-rss")
    assert old is not None and new is not None
    assert old.id == new.id == "bbc-world" and new.url == "https://bbc.example/new-rss"
    await store.move_feed("bbc-world", "https://bbc.example/rss")
    back = await store.find_feed_by_url("https://bbc.example/rss")
    assert back is not None and back.url == "https://bbc.example/rss"


async def test_empty_batches_and_unknown_feeds_in_a_batch(store: Storage) -> None:
    await store.save_feed_states([])
    await store.release_feeds([])
    due = await store.due_feeds(T0, lease_seconds=60)
    assert [f.id for f, _ in due] == ["bbc-world", "dw-europe"]
    later = T0 + timedelta(hours=1)
    await store.save_feed_states(
        [
            FeedState("bbc-world", next_poll_at=later, etag='"a"'),
            FeedState("ghost", next_poll_at=later),  # removed meanwhile: skipped
            FeedState("dw-europe", next_poll_at=later, failures=2, last_error="HTTP 500"),
        ]
    )
    bbc, dw = await store.get_feed_state("bbc-world"), await store.get_feed_state("dw-europe")
    assert bbc.etag == '"a"' and bbc.next_poll_at == later
    assert dw.failures == 2 and dw.last_error == "HTTP 500"
    assert [f.id for f, _ in await store.due_feeds(later)] == ["bbc-world", "dw-europe"]
    assert await store.due_feeds(T0) == []  # the saved schedule holds


async def test_a_notice_with_a_key_is_queued_once_per_chat(store: Storage) -> None:
    assert await store.queue_notice(OLD, "Feed paused.", T0, key="paused:bbc-world") is True
    assert await store.queue_notice(OLD, "Feed paused!", T0, key="paused:bbc-world") is False
    assert await store.queue_notice(NEW, "Feed paused.", T0, key="paused:bbc-world") is True
    assert await store.queue_notice(OLD, "Unkeyed.", T0) is True
    assert await store.queue_notice(OLD, "Unkeyed.", T0) is True  # no key: no dedup
    assert [n.text for n in await store.pending_notices(OLD)] == [
        "Feed paused.",
        "Unkeyed.",
        "Unkeyed.",
    ]


async def test_an_edit_retried_later_is_claimed_again_only_then(store: Storage) -> None:
    await store.subscribe(OLD, ["bbc-world", "dw-europe"], T0)
    story = make_story(1, "bbc-world")
    await store.record_story(story, Summarised("T", "S"), T0, deliver=True)
    [row] = await store.claim_deliveries(T0, 10, 60)
    await store.mark_sent(row.id, T0, message_id="m1")
    joined = replace(story, feed_id="dw-europe")
    await store.record_story(joined, None, T0 + timedelta(minutes=1), deliver=True)
    far = T0 + timedelta(days=1)
    [edit] = await store.claim_edits(far, 10, 60)
    assert edit.message_id == "m1" and edit.brief.also_sources == ("DW Europe",)
    retry_at = far + timedelta(minutes=5)
    await store.retry_edit(edit.id, retry_at, "HTTP 502")
    assert await store.claim_edits(retry_at - timedelta(seconds=1), 10, 60) == []
    [again] = await store.claim_edits(retry_at, 10, 60)
    assert again.id == edit.id and again.attempts == 1
    await store.finish_edit(again.id, retry_at)
    assert await store.claim_edits(far + timedelta(days=1), 10, 60) == []


async def test_a_failed_delivery_is_never_claimed_again(store: Storage) -> None:
    await store.subscribe(OLD, ["bbc-world"], T0)
    await store.record_story(make_story(1, "bbc-world"), Summarised("T", "S"), T0, deliver=True)
    [row] = await store.claim_deliveries(T0, 10, 60)
    await store.fail_delivery(row.id, "chat not found")
    assert await store.claim_deliveries(T0 + timedelta(days=1), 10, 60) == []
    assert await store.reclaim_deliveries(T0) == 0  # a failed row is not in flight


async def test_saving_the_state_of_an_unknown_feed_is_an_error(store: Storage) -> None:
    with pytest.raises(StorageError, match="no feed 'ghost'"):
        await store.save_feed_state(FeedState("ghost"))


async def test_a_new_story_without_text_is_an_error(store: Storage) -> None:
    story = make_story(3, "bbc-world")
    with pytest.raises(StorageError, match=re.escape("no brief yet for 'https://news.example/3'")):
        await store.record_story(story, None, T0, deliver=True)
    assert await store.latest(None, 10) == []


# -- SQLite only --------------------------------------------------------------------------


@pytest.fixture
async def sql(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'sql.db'}")
    await storage.sync_catalogue(FEEDS)
    yield storage
    await storage.close()


async def test_a_database_failure_is_one_storage_error_naming_the_cause(sql: SqlStorage) -> None:
    await sql.subscribe(NEW, ["bbc-world"], T0)
    async with sql._tx() as s:
        await s.execute(text("DROP TABLE subscriptions"))
    with pytest.raises(StorageError) as raised:
        await sql.subscriptions(NEW)
    message = str(raised.value)
    assert message.startswith("database error: OperationalError: ")
    assert "no such table: subscriptions" in message
    assert [f.id for f in await sql.list_feeds()] == ["bbc-world", "dw-europe"]  # still usable


async def test_the_first_bot_keeps_a_platforms_chats(sql: SqlStorage) -> None:
    assert await sql.claim_bot(Platform.TELEGRAM, "111", T0) == "111"
    assert await sql.claim_bot(Platform.TELEGRAM, "222", T0) == "111"
    assert await sql.claim_bot(Platform.DISCORD, "222", T0) == "222"
