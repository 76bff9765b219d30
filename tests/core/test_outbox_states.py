"""The outbox state machine on SQLite: pending -> sending (lease) -> sent / pending / failed."""

from __future__ import annotations

from datetime import timedelta

from bot.core.models import DeliveryState
from bot.core.ports import Storage, Summarised
from bot.storage import SqlStorage
from tests.core.delivery_support import T0, add_briefs, chat, story
from tests.fakes import count_pending


async def test_sql_storage_has_every_method_of_the_port(db: SqlStorage) -> None:
    names = [n for n in vars(Storage) if not n.startswith("_")]
    assert "release_deliveries" in names and "add_source" in names
    assert [n for n in names if not callable(getattr(db, n, None))] == []


async def test_record_story_writes_one_row_per_subscriber_in_the_same_transaction(
    db: SqlStorage,
) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await db.subscribe(chat(2), ["wire"], T0)
    await db.subscribe(chat(3), ["daily"], T0)
    [brief] = await add_briefs(db, "wire", 1, T0)
    rows = await db.claim_deliveries(T0, 100, 60)
    assert sorted(r.chat for r in rows) == [chat(1), chat(2)]
    assert {r.brief.id for r in rows} == {brief.id}
    assert all(r.state is DeliveryState.SENDING and r.attempts == 0 for r in rows)


async def test_a_claimed_row_is_leased_and_comes_back_when_the_lease_runs_out(
    db: SqlStorage,
) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 1, T0)
    [row] = await db.claim_deliveries(T0, 10, 60)
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert await db.claim_deliveries(T0 + timedelta(seconds=59), 10, 60) == []
    [again] = await db.claim_deliveries(T0 + timedelta(seconds=60), 10, 60)
    assert again.id == row.id


async def test_sent_rows_are_never_claimed_again(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 2, T0)
    first, second = await db.claim_deliveries(T0, 10, 60)
    await db.mark_sent(first.id, T0)
    await db.mark_sent_many([second.id], T0, batched=True)
    assert await db.claim_deliveries(T0 + timedelta(days=1), 10, 60) == []
    assert await count_pending(db) == 0


async def test_retry_counts_an_attempt_and_release_does_not(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 2, T0)
    failed, held = await db.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(seconds=30)
    await db.retry_delivery(failed.id, later, "boom")
    await db.release_deliveries([held.id], later, "held back")
    assert await db.claim_deliveries(later - timedelta(seconds=1), 10, 60) == []
    rows = {r.id: r for r in await db.claim_deliveries(later, 10, 60)}
    assert rows[failed.id].attempts == 1
    assert rows[held.id].attempts == 0


async def test_failed_rows_stay_failed(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 1, T0)
    [row] = await db.claim_deliveries(T0, 10, 60)
    await db.fail_delivery(row.id, "given up")
    assert await db.claim_deliveries(T0 + timedelta(days=1), 10, 60) == []
    assert await count_pending(db) == 0


async def test_rows_of_an_unavailable_chat_wait_until_it_returns(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 1, T0)
    settings = await db.get_chat(chat(1))
    await db.save_chat(settings.__class__(chat(1), available=False, failures=3))
    assert await db.claim_deliveries(T0, 10, 60) == []
    await db.save_chat(settings)
    assert len(await db.claim_deliveries(T0, 10, 60)) == 1


async def test_retention_expires_old_open_rows_and_purge_deletes_finished_ones(
    db: SqlStorage,
) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 2, T0)
    sent, _ = await db.claim_deliveries(T0, 10, 60)
    await db.mark_sent(sent.id, T0)
    assert await db.expire_deliveries(T0, "too old") == 0
    assert await db.expire_deliveries(T0 + timedelta(seconds=1), "too old") == 1
    assert await count_pending(db) == 0
    assert await db.purge_deliveries(T0) == 0
    assert await db.purge_deliveries(T0 + timedelta(seconds=1)) == 2


async def test_reschedule_pending_pulls_waiting_rows_forward(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await add_briefs(db, "wire", 1, T0)
    [row] = await db.claim_deliveries(T0, 10, 60)
    await db.release_deliveries([row.id], T0 + timedelta(hours=20), "digest")
    assert await db.reschedule_pending(chat(1), T0) == 1
    assert len(await db.claim_deliveries(T0, 10, 60)) == 1


async def test_alert_rows_are_queued_once_per_chat_and_story(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    s = story("wire", 1)
    text = Summarised(s.title, s.summary)
    alerts = {chat(1): ("kursk",), chat(2): ("kursk", "sudzha")}
    await db.record_story(s, text, T0, deliver=True, alerts=alerts)
    again = story("daily", 1, link=s.link)
    await db.record_story(again, None, T0, deliver=True, alerts=alerts)
    rows = {r.chat: r for r in await db.claim_deliveries(T0, 10, 60)}
    assert set(rows) == {chat(1), chat(2)}
    assert rows[chat(2)].alert_terms == ("kursk", "sudzha")
    assert rows[chat(1)].brief.also_sources == ("Daily",)


async def test_alert_sends_counts_messages_not_rows(db: SqlStorage) -> None:
    for n in range(4):
        s = story("wire", n)
        await db.record_story(
            s, Summarised(s.title, ""), T0, deliver=True, alerts={chat(1): ("x",)}
        )
    await db.subscribe(chat(1), ["daily"], T0)
    await add_briefs(db, "daily", 1, T0)  # not an alert
    one, two, three, four, plain = await db.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(seconds=5)
    await db.mark_sent(one.id, T0)
    await db.mark_sent_many([two.id, three.id], later, batched=True)
    await db.mark_sent(plain.id, later)
    assert await db.alert_sends(chat(1), T0 - timedelta(hours=1)) == [T0, later]
    assert await db.alert_sends(chat(1), T0) == [later]  # the lower bound is exclusive
    assert four.alert_terms == ("x",) and plain.alert_terms == ()


async def test_a_near_duplicate_joins_the_existing_brief(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await db.subscribe(chat(2), ["daily"], T0)
    await db.subscribe(chat(3), ["wire", "daily"], T0)
    first = story("wire", 1, title="Pistorius to be paroled")
    brief = await db.record_story(first, Summarised(first.title, "s"), T0, deliver=True)
    dup = story("daily", 9, title="Oscar Pistorius to be released")
    joined = await db.add_source(dup, brief.id, T0, deliver=True)
    assert joined.id == brief.id and joined.also_sources == ("Daily",)
    rows = await db.claim_deliveries(T0, 10, 60)
    assert sorted(r.chat for r in rows) == [chat(1), chat(2), chat(3)]
    # The duplicate's own link now leads to the same brief, for a third feed.
    assert (await db.brief_for_story(dup.key)) is not None
    assert (await db.brief_for_story(dup.key)).id == brief.id  # type: ignore[union-attr]
    third = story("other", 5, link=dup.link)
    await db.record_story(third, None, T0, deliver=True)
    assert (await db.brief_for_story(first.key)).also_sources == ("Daily", "Other")  # type: ignore[union-attr]


async def test_recent_briefs_leaves_out_what_the_feed_carried(db: SqlStorage) -> None:
    wire = await add_briefs(db, "wire", 2, T0)
    daily = await add_briefs(db, "daily", 1, T0 + timedelta(hours=1))
    recent = await db.recent_briefs(T0, exclude_feed="wire")
    assert [b.id for b in recent] == [daily[0].id]
    assert [b.id for b in await db.recent_briefs(T0 + timedelta(minutes=1))] == [daily[0].id]
    assert len(await db.recent_briefs(T0)) == len(wire) + 1
