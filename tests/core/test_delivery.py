"""The Deliverer against SQLite db, a recording notifier and a time machine."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.delivery import Deliverer
from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, RateLimited
from bot.core.models import ChatRef, Platform
from bot.core.ports import Pace
from bot.storage import SqlStorage
from tests.core.delivery_support import TimeMachine, add_briefs, chat
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


async def drain_all(d: Deliverer, clock: TimeMachine, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await d.drain():
            return


async def test_briefs_arrive_in_order_paced_per_chat(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    await drain_all(deliverer(db, notifier, clock), clock)
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]
    # 1 s apart (the notifier's per-chat pace), the first one at once.
    assert [round(s, 3) for s in clock.slept if s >= 0.5] == [1.0, 1.0]
    assert await count_pending(db) == 0


async def test_pace_holds_across_rounds(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    d = deliverer(db, notifier, clock)
    await add_briefs(db, "wire", 1, clock.now())
    await d.drain()
    await add_briefs(db, "wire", 1, clock.now(), start=1)
    await d.drain()
    assert len(notifier.briefs_to(chat(1))) == 2
    assert max(clock.slept) >= 0.99


async def test_rate_limit_waits_and_holds_the_rest_without_counting_attempts(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await db.subscribe(chat(2), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    notifier.failures[chat(1)] = [RateLimited(120)]
    d = deliverer(db, notifier, clock)
    start = clock.now()
    await d.drain()
    assert notifier.briefs_to(chat(1)) == []
    assert notifier.briefs_to(chat(2)) == [b.id for b in briefs]  # other chats keep flowing
    pending = await pending_deliveries(db, chat(1))
    assert [(r.brief.id, r.attempts) for r in pending] == [
        (briefs[0].id, 1),
        (briefs[1].id, 0),
        (briefs[2].id, 0),
    ]
    assert all(r.next_attempt_at == start + timedelta(seconds=120) for r in pending)
    assert await d.drain() == 0  # nothing is due before Retry-After
    clock.advance(120)
    await drain_all(d, clock)
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]


async def test_moved_chat_is_rekeyed_and_gets_its_briefs(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    old, new = chat(1), ChatRef(Platform.TELEGRAM, "-100777")
    await db.subscribe(old, ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 2, clock.now())
    notifier.failures[old] = [ChatMoved(new)]
    await drain_all(deliverer(db, notifier, clock), clock)
    assert notifier.briefs_to(new) == [b.id for b in briefs]
    assert [f.id for f in await db.subscriptions(new)] == ["wire"]


async def test_unavailable_chat_keeps_its_rows_until_it_returns(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 2, clock.now())
    notifier.failures[chat(1)] = [ChatUnavailable("blocked")] * 3
    d = deliverer(db, notifier, clock, unavailable_after=3)
    for _ in range(3):
        await d.drain()
        clock.advance(3600)
    settings = await db.get_chat(chat(1))
    assert not settings.available and settings.failures == 3
    assert await d.drain() == 0  # an unavailable chat's rows are not claimed
    assert await count_pending(db) == 2
    await db.save_chat(replace(settings, available=True))  # it talked to the bot again
    await drain_all(d, clock)
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]
    assert (await db.get_chat(chat(1))).failures == 0


async def test_rows_of_a_chat_that_never_returns_expire_after_retention(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 2, clock.now())
    settings = await db.get_chat(chat(1))
    await db.save_chat(replace(settings, available=False))
    d = deliverer(db, notifier, clock, retention=timedelta(hours=72))
    clock.advance(71 * 3600)
    assert await d.housekeep() == (0, 0)
    clock.advance(2 * 3600)
    assert await d.housekeep() == (2, 0)
    assert await count_pending(db) == 0
    clock.advance(31 * 86400)
    assert await d.housekeep() == (0, 2)


async def test_delivery_errors_back_off_and_give_up_after_max_attempts(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 1, clock.now())
    notifier.failures[chat(1)] = [DeliveryError("HTTP 502")] * 4
    d = deliverer(db, notifier, clock, max_attempts=4)
    waits = []
    for _ in range(4):
        assert await d.drain() == 1
        [row] = await pending_deliveries(db, chat(1)) or [None]
        if row is None:
            break
        waits.append((row.next_attempt_at - clock.now()).total_seconds())
        clock.advance(waits[-1])
    assert waits == [10.0, 20.0, 40.0]  # exponential back-off
    assert await count_pending(db) == 0  # the 4th failure gave up
    assert notifier.briefs_to(chat(1)) == []


async def test_one_bad_brief_does_not_block_the_chat(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    notifier.failures[chat(1)] = [DeliveryError("Bad Request: can't parse entities")]
    await deliverer(db, notifier, clock).drain()
    assert notifier.briefs_to(chat(1)) == [briefs[1].id, briefs[2].id]


async def test_a_failing_chat_backs_off_as_a_whole(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 5, clock.now())
    notifier.failures[chat(1)] = [DeliveryError("timeout")] * 2
    await deliverer(db, notifier, clock).drain()
    assert notifier.briefs_to(chat(1)) == []
    pending = await pending_deliveries(db, chat(1))
    assert [r.attempts for r in pending] == [1, 1, 0, 0, 0]  # the other three were held back
    assert min(r.next_attempt_at for r in pending) > clock.now()


async def test_rows_for_a_platform_not_running_here_wait(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    discord = ChatRef(Platform.DISCORD, "42")
    await db.subscribe(discord, ["wire"], clock.now())
    await add_briefs(db, "wire", 1, clock.now())
    d = deliverer(db, notifier, clock)
    assert await d.drain() == 1
    [row] = await pending_deliveries(db, discord)
    assert row.attempts == 0 and row.next_attempt_at == clock.now() + timedelta(minutes=5)


class SlowNotifier(RecordingNotifier):
    """Yields to the event loop inside every send, like a network call."""

    async def send_brief(self, chat: ChatRef, brief: object, *, alert_terms: object = ()) -> None:
        await asyncio.sleep(0)
        await super().send_brief(chat, brief, alert_terms=alert_terms)  # type: ignore[arg-type]


class Outstanding:
    """Storage proxy counting briefs sent but not yet recorded as sent."""

    def __init__(self, inner: SqlStorage, notifier: RecordingNotifier) -> None:
        self._inner, self._notifier, self.peak, self._marked = inner, notifier, 0, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def mark_sent(self, delivery_id: int, now: object, **kw: object) -> None:
        sent = sum(1 for kind, _, _ in self._notifier.log if kind == "brief")
        self.peak = max(self.peak, sent - self._marked)
        await asyncio.sleep(0)
        await self._inner.mark_sent(delivery_id, now, **kw)  # type: ignore[arg-type]
        self._marked += 1


@pytest.mark.parametrize("in_flight", [1, 4])
async def test_in_flight_bounds_sends_not_yet_recorded(
    db: SqlStorage, clock: TimeMachine, in_flight: int
) -> None:
    notifier = SlowNotifier()
    for n in range(8):
        await db.subscribe(chat(n), ["wire"], clock.now())
    await add_briefs(db, "wire", 2, clock.now())
    proxy = Outstanding(db, notifier)
    d = Deliverer(
        proxy,  # type: ignore[arg-type]
        {notifier.platform: notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        in_flight=in_flight,
    )
    await drain_all(d, clock)
    assert len(notifier.log) == 16
    assert 1 <= proxy.peak <= in_flight
    if in_flight > 1:
        assert proxy.peak > 1  # the bound is what limits it, not the fake


async def test_pace_may_differ_per_chat(db: SqlStorage, clock: TimeMachine) -> None:
    group = ChatRef(Platform.TELEGRAM, "-100200")
    notifier = RecordingNotifier(
        pace=Pace(per_chat_interval=1.0, per_second=1000.0, chat_interval=lambda c: 3.0)
    )
    await db.subscribe(group, ["wire"], clock.now())
    await add_briefs(db, "wire", 3, clock.now())
    await drain_all(deliverer(db, notifier, clock), clock)
    assert len(notifier.briefs_to(group)) == 3
    assert [round(s, 3) for s in clock.slept if s > 0.01] == [3.0, 3.0]


async def test_stop_lets_the_send_under_way_finish_and_keeps_the_rest_claimed(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 3, clock.now())
    d = deliverer(db, notifier, clock)
    send = notifier.send_brief

    async def send_then_stop(*args: object, **kwargs: object) -> None:
        await send(*args, **kwargs)  # type: ignore[arg-type]
        d.stop()  # SIGTERM arrives during the first send

    notifier.send_brief = send_then_stop  # type: ignore[method-assign]
    await asyncio.wait_for(d.run(), 5)  # returns by itself: nothing is cancelled
    assert notifier.briefs_to(chat(1)) == [briefs[0].id]
    assert await db.reclaim_deliveries(clock.now()) == 2  # the rest stay claimed, not lost
    notifier.send_brief = send  # type: ignore[method-assign]
    await drain_all(deliverer(db, notifier, clock), clock)
    assert notifier.briefs_to(chat(1)) == [b.id for b in briefs]


async def test_a_notice_leaves_through_the_outbox_and_the_chats_notifier(
    db: SqlStorage, notifier: RecordingNotifier, clock: TimeMachine
) -> None:
    """``Deliverer.notify`` (the pipeline's paused-feed notices, the alert limit) queues in the
    outbox; a notice with a key is queued once."""
    d = deliverer(db, notifier, clock)
    await d.notify(chat(1), "Paused Wire: it failed 5 times.")
    await d.notify(chat(1), "Limit reached.", key="limit:1")
    await d.notify(chat(1), "Limit reached.", key="limit:1")
    assert [n.text for n in await db.pending_notices(chat(1))] == [
        "Paused Wire: it failed 5 times.",
        "Limit reached.",
    ]
    await drain_all(d, clock)
    assert notifier.log == [
        ("text", chat(1), "Paused Wire: it failed 5 times."),
        ("text", chat(1), "Limit reached."),
    ]
    assert await db.pending_notices(chat(1)) == []
