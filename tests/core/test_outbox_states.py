"""The outbox state machine on SQLite: pending -> sending (lease) -> sent / pending / failed."""

from __future__ import annotations

from datetime import timedelta

from delivery_support import T0, add_briefs, chat, story

from bot.core.models import DeliveryState
from bot.core.ports import Storage, Summarised
from bot.storage import SqlStorage


async def test_sql_storage_has_every_method_of_the_port(storage: SqlStorage) -> None:
    names = [n for n in vars(Storage) if not n.startswith("_")]
    assert "release_deliveries" in names and "add_source" in names
    assert [n for n in names if not callable(getattr(storage, n, None))] == []


async def test_record_story_writes_one_row_per_subscriber_in_the_same_transaction(
    storage: SqlStorage,
) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await storage.subscribe(chat(2), ["wire"], T0)
    await storage.subscribe(chat(3), ["daily"], T0)
    [brief] = await add_briefs(storage, "wire", 1, T0)
    rows = await storage.claim_deliveries(T0, 100, 60)
    assert sorted(r.chat for r in rows) == [chat(1), chat(2)]
    assert {r.brief.id for r in rows} == {brief.id}
    assert all(r.state is DeliveryState.SENDING and r.attempts == 0 for r in rows)


async def test_a_claimed_row_is_leased_and_comes_back_when_the_lease_runs_out(
    storage: SqlStorage,
) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 1, T0)
    [row] = await storage.claim_deliveries(T0, 10, 60)
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    assert await storage.claim_deliveries(T0 + timedelta(seconds=59), 10, 60) == []
    [again] = await storage.claim_deliveries(T0 + timedelta(seconds=60), 10, 60)
    assert again.id == row.id


async def test_sent_rows_are_never_claimed_again(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 2, T0)
    first, second = await storage.claim_deliveries(T0, 10, 60)
    await storage.mark_sent(first.id, T0)
    await storage.mark_sent_many([second.id], T0, batched=True)
    assert await storage.claim_deliveries(T0 + timedelta(days=1), 10, 60) == []
    assert await storage.count_pending() == 0


async def test_retry_counts_an_attempt_and_release_does_not(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 2, T0)
    failed, held = await storage.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(seconds=30)
    await storage.retry_delivery(failed.id, later, "boom")
    await storage.release_deliveries([held.id], later, "held back")
    assert await storage.claim_deliveries(later - timedelta(seconds=1), 10, 60) == []
    rows = {r.id: r for r in await storage.claim_deliveries(later, 10, 60)}
    assert rows[failed.id].attempts == 1
    assert rows[held.id].attempts == 0


async def test_failed_rows_stay_failed(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 1, T0)
    [row] = await storage.claim_deliveries(T0, 10, 60)
    await storage.fail_delivery(row.id, "given up")
    assert await storage.claim_deliveries(T0 + timedelta(days=1), 10, 60) == []
    assert await storage.count_pending() == 0


async def test_rows_of_an_unavailable_chat_wait_until_it_returns(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 1, T0)
    settings = await storage.get_chat(chat(1))
    await storage.save_chat(settings.__class__(chat(1), available=False, failures=3))
    assert await storage.claim_deliveries(T0, 10, 60) == []
    await storage.save_chat(settings)
    assert len(await storage.claim_deliveries(T0, 10, 60)) == 1


async def test_retention_expires_old_open_rows_and_purge_deletes_finished_ones(
    storage: SqlStorage,
) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 2, T0)
    sent, _ = await storage.claim_deliveries(T0, 10, 60)
    await storage.mark_sent(sent.id, T0)
    assert await storage.expire_deliveries(T0, "too old") == 0
    assert await storage.expire_deliveries(T0 + timedelta(seconds=1), "too old") == 1
    assert await storage.count_pending() == 0
    assert await storage.purge_deliveries(T0) == 0
    assert await storage.purge_deliveries(T0 + timedelta(seconds=1)) == 2


async def test_reschedule_pending_pulls_waiting_rows_forward(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await add_briefs(storage, "wire", 1, T0)
    [row] = await storage.claim_deliveries(T0, 10, 60)
    await storage.release_deliveries([row.id], T0 + timedelta(hours=20), "digest")
    assert await storage.reschedule_pending(chat(1), T0) == 1
    assert len(await storage.claim_deliveries(T0, 10, 60)) == 1


async def test_alert_rows_are_queued_once_per_chat_and_story(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    s = story("wire", 1)
    text = Summarised(s.title, s.summary)
    alerts = {chat(1): ("kursk",), chat(2): ("kursk", "sudzha")}
    await storage.record_story(s, text, T0, deliver=True, alerts=alerts)
    again = story("daily", 1, link=s.link)
    await storage.record_story(again, None, T0, deliver=True, alerts=alerts)
    rows = {r.chat: r for r in await storage.claim_deliveries(T0, 10, 60)}
    assert set(rows) == {chat(1), chat(2)}
    assert rows[chat(2)].alert_terms == ("kursk", "sudzha")
    assert rows[chat(1)].brief.also_sources == ("Daily",)


async def test_alert_sends_counts_messages_not_rows(storage: SqlStorage) -> None:
    for n in range(4):
        s = story("wire", n)
        await storage.record_story(
            s, Summarised(s.title, ""), T0, deliver=True, alerts={chat(1): ("x",)}
        )
    await storage.subscribe(chat(1), ["daily"], T0)
    await add_briefs(storage, "daily", 1, T0)  # not an alert
    one, two, three, four, plain = await storage.claim_deliveries(T0, 10, 60)
    later = T0 + timedelta(seconds=5)
    await storage.mark_sent(one.id, T0)
    await storage.mark_sent_many([two.id, three.id], later, batched=True)
    await storage.mark_sent(plain.id, later)
    assert await storage.alert_sends(chat(1), T0 - timedelta(hours=1)) == [T0, later]
    assert await storage.alert_sends(chat(1), T0) == [later]  # the lower bound is exclusive
    assert four.alert_terms == ("x",) and plain.alert_terms == ()


async def test_a_near_duplicate_joins_the_existing_brief(storage: SqlStorage) -> None:
    await storage.subscribe(chat(1), ["wire"], T0)
    await storage.subscribe(chat(2), ["daily"], T0)
    await storage.subscribe(chat(3), ["wire", "daily"], T0)
    first = story("wire", 1, title="Pistorius to be paroled")
    brief = await storage.record_story(first, Summarised(first.title, "s"), T0, deliver=True)
    dup = story("daily", 9, title="Oscar Pistorius to be released")
    joined = await storage.add_source(dup, brief.id, T0, deliver=True)
    assert joined.id == brief.id and joined.also_sources == ("Daily",)
    rows = await storage.claim_deliveries(T0, 10, 60)
    assert sorted(r.chat for r in rows) == [chat(1), chat(2), chat(3)]
    # The duplicate's own link now leads to the same brief, for a third feed.
    assert (await storage.brief_for_story(dup.key)) is not None
    assert (await storage.brief_for_story(dup.key)).id == brief.id  # type: ignore[union-attr]
    third = story("other", 5, link=dup.link)
    await storage.record_story(third, None, T0, deliver=True)
    assert (await storage.brief_for_story(first.key)).also_sources == ("Daily", "Other")  # type: ignore[union-attr]


async def test_recent_briefs_leaves_out_what_the_feed_carried(storage: SqlStorage) -> None:
    wire = await add_briefs(storage, "wire", 2, T0)
    daily = await add_briefs(storage, "daily", 1, T0 + timedelta(hours=1))
    recent = await storage.recent_briefs(T0, exclude_feed="wire")
    assert [b.id for b in recent] == [daily[0].id]
    assert [b.id for b in await storage.recent_briefs(T0 + timedelta(minutes=1))] == [daily[0].id]
    assert len(await storage.recent_briefs(T0)) == len(wire) + 1
