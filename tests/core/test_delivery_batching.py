"""Coalescing, scheduled digests, quiet hours and the alert limit in the Deliverer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core.delivery import DIGEST_HANDOFF, Deliverer
from bot.core.errors import RateLimited
from bot.core.ports import Summarised
from bot.storage import SqlStorage
from tests.core.delivery_support import TimeMachine, add_briefs, chat, story
from tests.fakes import RecordingNotifier, count_pending, pending_deliveries


def deliverer(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine, **kwargs: object
) -> Deliverer:
    return Deliverer(
        db,
        {notifier.platform: notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        **kwargs,  # type: ignore[arg-type]
    )


async def drain_all(d: Deliverer) -> None:
    for _ in range(50):
        if not await d.drain():
            return


# -- coalescing ------------------------------------------------------------------------------
async def test_below_the_threshold_each_brief_is_its_own_message(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 4, clock.now())
    await drain_all(deliverer(db, notifier, clock, coalesce_threshold=5))
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]
    assert notifier.digests_to(chat(1)) == []


async def test_a_burst_at_the_threshold_becomes_one_digest(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 5, clock.now())
    await drain_all(deliverer(db, notifier, clock, coalesce_threshold=5))
    assert notifier.briefs_to(chat(1)) == []
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert heading == "5 new stories"
    assert sorted(ids) == sorted(b.id for b in briefs)
    assert await count_pending(db) == 0


async def test_digest_lists_most_covered_first_and_caps_its_length(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 6, clock.now())
    # The oldest story was also carried by two more feeds.
    for feed in ("daily", "other"):
        s = story(feed, 0, link=briefs[0].link)
        await db.record_story(s, None, clock.now(), deliver=False)
    await drain_all(deliverer(db, notifier, clock, coalesce_threshold=3, digest_max_stories=4))
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert ids[0] == briefs[0].id
    assert len(ids) == 4
    assert heading == "6 new stories (the 4 most covered; /latest for more)"
    assert await count_pending(db) == 0  # every merged row counts as delivered


async def test_a_long_retry_after_ends_in_one_digest_not_a_flood(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    d = deliverer(db, notifier, clock, coalesce_threshold=4)
    first = await add_briefs(db, "wire", 2, clock.now())
    notifier.failures[chat(1)] = [RateLimited(3600)]
    await d.drain()
    clock.advance(60)
    more = await add_briefs(db, "wire", 3, clock.now(), start=2)  # more arrive meanwhile
    await d.drain()
    assert clock.slept == [] or max(clock.slept) < 10  # the round did not wait out the hour
    assert notifier.log == []
    clock.advance(3600)
    await drain_all(d)
    assert notifier.briefs_to(chat(1)) == []
    [(_, ids)] = notifier.digests_to(chat(1))
    assert sorted(ids) == sorted(b.id for b in first + more)
    assert await count_pending(db) == 0


async def test_rows_stay_queued_when_the_digest_send_fails(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 5, clock.now())
    notifier.failures[chat(1)] = [RateLimited(60)]
    d = deliverer(db, notifier, clock, coalesce_threshold=5)
    await d.drain()
    assert notifier.digests_to(chat(1)) == []
    pending = await pending_deliveries(db, chat(1))
    assert len(pending) == 5
    assert sorted(r.attempts for r in pending) == [0, 0, 0, 0, 1]
    clock.advance(60)
    await drain_all(d)
    assert len(notifier.digests_to(chat(1))) == 1


# -- scheduled digests -----------------------------------------------------------------------
async def test_digest_chat_gets_one_digest_at_its_local_time(
    db: SqlStorage, notifier: RecordingNotifier
) -> None:
    # 2026-03-02 05:30 UTC is 07:30 in Kyiv (UTC+2 in winter).
    clock = TimeMachine(datetime(2026, 3, 2, 5, 30, tzinfo=UTC))
    settings = await db.get_chat(chat(1))
    await db.save_chat(
        replace(
            settings,
            digest_times=("08:00",),
            timezone="Europe/Kyiv",
            last_digest_at=clock.now() - timedelta(hours=1),
        )
    )
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    d = deliverer(db, notifier, clock)
    await drain_all(d)
    assert notifier.log == []
    [waiting] = {r.next_attempt_at for r in await pending_deliveries(db, chat(1))}
    assert waiting == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    clock.advance(30 * 60)
    await drain_all(d)
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert heading == "Your 08:00 briefing: 3 stories"
    assert sorted(ids) == sorted(b.id for b in briefs)
    assert (await db.get_chat(chat(1))).last_digest_at == clock.now()
    # A story after the digest waits for tomorrow's.
    await add_briefs(db, "wire", 1, clock.now(), start=3)
    await drain_all(d)
    assert len(notifier.digests_to(chat(1))) == 1
    [row] = await pending_deliveries(db, chat(1))
    assert row.next_attempt_at == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)
    clock.advance(24 * 3600)
    await drain_all(d)
    assert notifier.digests_to(chat(1))[1][0] == "Your 08:00 briefing: 1 story"


async def test_alerts_are_pushed_at_once_in_digest_mode(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    settings = await db.get_chat(chat(1))
    await db.save_chat(replace(settings, digest_times=("08:00",), last_digest_at=clock.now()))
    s = story("other", 1, title="Kursk offensive")
    brief = await db.record_story(
        s, Summarised(s.title, ""), clock.now(), deliver=True, alerts={chat(1): ("kursk",)}
    )
    await drain_all(deliverer(db, notifier, clock))
    assert notifier.log == [("brief", chat(1), (brief.id, ("kursk",)))]


# -- quiet hours -----------------------------------------------------------------------------
async def test_quiet_hours_hold_everything_until_they_end(
    db: SqlStorage, notifier: RecordingNotifier
) -> None:
    # 23:10 in New York (UTC-5 on 2026-03-02).
    clock = TimeMachine(datetime(2026, 3, 3, 4, 10, tzinfo=UTC))
    settings = await db.get_chat(chat(1))
    await db.save_chat(
        replace(settings, quiet_start="22:00", quiet_end="07:00", timezone="America/New_York")
    )
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 2, clock.now())
    d = deliverer(db, notifier, clock)
    await drain_all(d)
    assert notifier.log == []
    [until] = {r.next_attempt_at for r in await pending_deliveries(db, chat(1))}
    assert until == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)  # 07:00 local
    assert all(r.attempts == 0 for r in await pending_deliveries(db, chat(1)))
    clock.advance((until - clock.now()).total_seconds())
    await drain_all(d)
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]


async def test_notices_wait_out_quiet_hours_too_and_are_not_dropped(
    db: SqlStorage, notifier: RecordingNotifier
) -> None:
    clock = TimeMachine(datetime(2026, 3, 3, 4, 10, tzinfo=UTC))  # 23:10 in New York
    settings = await db.get_chat(chat(1))
    await db.save_chat(
        replace(settings, quiet_start="22:00", quiet_end="07:00", timezone="America/New_York")
    )
    await db.queue_notice(chat(1), "The feed Wire (wire) is paused.", clock.now())
    await db.queue_notice(chat(1), "Alert limit reached", clock.now(), key="alert-limit:x")
    d = deliverer(db, notifier, clock)
    await drain_all(d)
    assert notifier.log == []
    held = await db.pending_notices(chat(1))
    assert [n.attempts for n in held] == [0, 0]  # held, not failed attempts
    clock.advance(3600)  # 00:10: still quiet
    await drain_all(d)
    assert notifier.log == []
    clock.advance((datetime(2026, 3, 3, 12, 0, tzinfo=UTC) - clock.now()).total_seconds())
    await drain_all(d)  # 07:00 local: both arrive, in order
    assert [entry[2] for entry in notifier.log] == [
        "The feed Wire (wire) is paused.",
        "Alert limit reached",
    ]
    assert await db.pending_notices(chat(1)) == []


# -- alert limit -----------------------------------------------------------------------------
async def alert_stories(db: SqlStorage, clock: TimeMachine, numbers: range) -> list[int]:
    made = []
    for n in numbers:
        s = story("other", n, title=f"Kursk update {n}")
        brief = await db.record_story(
            s, Summarised(s.title, ""), clock.now(), deliver=True, alerts={chat(1): ("kursk",)}
        )
        made.append(brief.id)
    return made


def delivered(notifier: RecordingNotifier) -> list[int]:
    singles = notifier.briefs_to(chat(1))
    return singles + [i for _, ids in notifier.digests_to(chat(1)) for i in ids]


async def test_alert_limit_combines_then_holds_extra_alerts_and_says_so_once(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    d = deliverer(db, notifier, clock, alerts_per_hour=2, coalesce_threshold=0)
    burst = await alert_stories(db, clock, range(5))
    start = clock.now()
    await drain_all(d)
    # Two messages: one alert on its own, the last slot carries the other four.
    assert notifier.briefs_to(chat(1)) == [burst[0]]
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert heading == "Alerts: 4 matches (kursk)" and sorted(ids) == burst[1:]

    clock.advance(600)
    later = await alert_stories(db, clock, range(5, 7))
    await drain_all(d)
    clock.advance(600)
    later += await alert_stories(db, clock, range(7, 8))
    await drain_all(d)
    assert len(notifier.log) == 3  # no more alerts this hour: held, with one notice
    notice = notifier.log[-1]
    assert notice[0] == "text"
    assert "at most 2 alert messages an hour" in str(notice[2])
    assert "2 more matches wait until 13:00 (UTC)" in str(notice[2])
    held = await pending_deliveries(db, chat(1))
    assert len(held) == 3 and all(r.attempts == 0 for r in held)
    assert {r.next_attempt_at for r in held} == {start + timedelta(hours=1)}

    clock.advance((start + timedelta(hours=1) - clock.now()).total_seconds())
    await drain_all(d)
    assert notifier.digests_to(chat(1))[-1][0] == "Alerts: 3 matches (kursk)"
    assert sorted(delivered(notifier)) == burst + later  # nothing lost, nothing twice


async def test_a_rate_limited_digest_holds_the_alerts_of_the_same_round(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    settings = await db.get_chat(chat(1))
    await db.save_chat(replace(settings, digest_times=("08:00",), last_digest_at=None))
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 2, clock.now())
    s = story("other", 1, title="Kursk offensive")
    await db.record_story(
        s, Summarised(s.title, ""), clock.now(), deliver=True, alerts={chat(1): ("kursk",)}
    )
    notifier.failures[chat(1)] = [RateLimited(300)]
    d = deliverer(db, notifier, clock)
    start = clock.now()
    await drain_all(d)
    assert notifier.log == []  # the digest hit the limit; the alert did not try
    pending = await pending_deliveries(db, chat(1))
    assert len(pending) == 3
    assert {r.next_attempt_at for r in pending} == {start + timedelta(seconds=300)}
    assert sorted(r.attempts for r in pending) == [0, 0, 1]
    clock.advance(300)
    await drain_all(d)
    assert [kind for kind, _, _ in notifier.log] == ["digest", "brief"]


async def test_only_the_clusters_housekeeper_sends_a_due_digest(
    db: SqlStorage, notifier: RecordingNotifier
) -> None:
    clock = TimeMachine(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))  # 08:00 in Kyiv
    settings = await db.get_chat(chat(1))
    await db.save_chat(
        replace(
            settings,
            digest_times=("08:00",),
            timezone="Europe/Kyiv",
            last_digest_at=clock.now() - timedelta(hours=2),
        )
    )
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    standby = deliverer(db, notifier, clock, housekeeper=lambda: False)
    await drain_all(standby)
    assert notifier.log == []  # handed back, not sent, not an attempt
    rows = await pending_deliveries(db, chat(1))
    assert {r.next_attempt_at for r in rows} == {clock.now() + DIGEST_HANDOFF}
    assert {r.attempts for r in rows} == {0}
    clock.advance(DIGEST_HANDOFF.total_seconds())
    await drain_all(deliverer(db, notifier, clock))
    [(heading, ids)] = notifier.digests_to(chat(1))
    assert heading == "Your 08:00 briefing: 3 stories"
    assert sorted(ids) == sorted(b.id for b in briefs)


async def test_a_worker_that_is_not_the_housekeeper_does_no_housekeeping(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 1, clock.now())
    standby = deliverer(db, notifier, clock, housekeeper=lambda: False, retention=timedelta(0))
    clock.advance(60)
    await standby._housekeep_hourly()
    assert len(await pending_deliveries(db, chat(1))) == 1  # not expired by this worker
    housekeeper = deliverer(db, notifier, clock, retention=timedelta(0))
    await housekeeper._housekeep_hourly()
    assert await pending_deliveries(db, chat(1)) == []
