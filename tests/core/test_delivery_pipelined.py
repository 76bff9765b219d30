"""Pipelined delivery on a fixed clock: per-chat order with N in flight, platform-wide holds,
notices through the outbox, and claims released after a failed round."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from bot.core.delivery import Deliverer
from bot.core.errors import RateLimited, StorageError
from bot.core.models import Brief, ChatRef
from bot.storage import SqlStorage
from tests.core.delivery_support import TimeMachine, add_briefs, chat
from tests.fakes import RecordingNotifier, count_pending


class JitteryNotifier(RecordingNotifier):
    """Each send yields to the event loop a random number of times, like network calls that
    take different times, so sends to different chats overlap and finish out of order."""

    def __init__(self, clock: TimeMachine, seed: int = 7) -> None:
        super().__init__()
        self.clock = clock
        self.rng = random.Random(seed)
        self.out = 0
        self.peak = 0
        self.attempts: list[tuple[ChatRef, float, bool]] = []
        """(chat, monotonic time, succeeded) of every send."""

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        self.out += 1
        self.peak = max(self.peak, self.out)
        try:
            for _ in range(self.rng.randint(0, 6)):
                await asyncio.sleep(0)
            try:
                await super().send_brief(chat, brief, alert_terms=alert_terms)
            except RateLimited:
                self.attempts.append((chat, self.clock.monotonic(), False))
                raise
            self.attempts.append((chat, self.clock.monotonic(), True))
        finally:
            self.out -= 1


def deliverer(
    db: object, notifier: RecordingNotifier, clock: TimeMachine, **kw: object
) -> Deliverer:
    return Deliverer(
        db,  # type: ignore[arg-type]
        {notifier.platform: notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        coalesce_threshold=0,
        **kw,  # type: ignore[arg-type]
    )


async def drain_all(d: Deliverer, clock: TimeMachine, rounds: int = 60) -> None:
    for _ in range(rounds):
        if not await d.drain():
            clock.advance(1)
            if not await d.drain():
                return


async def test_per_chat_order_is_kept_with_several_sends_in_flight(
    db: SqlStorage, clock: TimeMachine
) -> None:
    notifier = JitteryNotifier(clock)
    chats = [chat(n) for n in range(6)]
    for c in chats:
        await db.subscribe(c, ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 5, clock.now())
    d = deliverer(db, notifier, clock, in_flight=4)
    d.pacer(notifier.platform).latency = 0.2  # type: ignore[union-attr]  # a slow network
    await drain_all(d, clock)
    for c in chats:
        assert notifier.briefs_to(c) == [b.id for b in briefs]
    assert 1 < notifier.peak <= 4  # sends did overlap, within the window's ceiling


async def test_429s_on_several_chats_hold_every_chat(db: SqlStorage, clock: TimeMachine) -> None:
    notifier = JitteryNotifier(clock)
    for n in (1, 2, 3, 4):
        await db.subscribe(chat(n), ["wire"], clock.now())
    [brief] = await add_briefs(db, "wire", 1, clock.now())
    notifier.failures[chat(1)] = [RateLimited(5)]
    notifier.failures[chat(2)] = [RateLimited(5)]
    d = deliverer(db, notifier, clock, in_flight=1)
    await drain_all(d, clock)
    refused = [t for c, t, ok in notifier.attempts if not ok]
    assert len(refused) == 2
    held_from = max(refused)
    # Chats 3 and 4 never got a 429 themselves, but wait out the platform-wide hold.
    for c in (chat(3), chat(4)):
        [sent_at] = [t for who, t, ok in notifier.attempts if who == c and ok]
        assert sent_at >= held_from + 5 - 1e-9
    for n in (1, 2, 3, 4):
        assert notifier.briefs_to(chat(n)) == [brief.id]
    pacer = d.pacer(notifier.platform)
    assert pacer is not None and pacer.global_limits == 1


async def test_a_429_on_one_chat_holds_only_that_chat(db: SqlStorage, clock: TimeMachine) -> None:
    notifier = JitteryNotifier(clock)
    for n in (1, 2, 3):
        await db.subscribe(chat(n), ["wire"], clock.now())
    await add_briefs(db, "wire", 1, clock.now())
    notifier.failures[chat(1)] = [RateLimited(60)]
    d = deliverer(db, notifier, clock, in_flight=1)
    start = clock.monotonic()
    await d.drain()
    for c in (chat(2), chat(3)):
        [sent_at] = [t for who, t, ok in notifier.attempts if who == c and ok]
        assert sent_at - start < 5  # not held for the other chat's 60 s
    pacer = d.pacer(notifier.platform)
    assert pacer is not None and pacer.global_limits == 0


async def test_notices_go_through_the_outbox_and_survive_a_crash(
    db: SqlStorage, clock: TimeMachine
) -> None:
    notifier = RecordingNotifier()
    await db.queue_notice(chat(1), "The feed Wire (wire) is paused.", clock.now())
    # A worker claims the notice and dies before sending it.
    assert len(await db.claim_notices(clock.now(), 10, 20.0)) == 1
    d = deliverer(db, notifier, clock)
    assert await d.drain() == 0  # still claimed by the dead worker
    assert await db.reclaim_deliveries(clock.now()) == 1  # SQLite start-up: due again at once
    await drain_all(d, clock)
    assert notifier.log == [("text", chat(1), "The feed Wire (wire) is paused.")]
    assert await db.pending_notices(chat(1)) == []


async def test_a_rate_limited_notice_is_retried_after_retry_after(
    db: SqlStorage, clock: TimeMachine
) -> None:
    class RefusingOnce(RecordingNotifier):
        refused = False

        async def send_text(self, chat: ChatRef, text: str) -> None:
            if not self.refused:
                self.refused = True
                raise RateLimited(30)
            await super().send_text(chat, text)

    notifier = RefusingOnce()
    await db.queue_notice(chat(1), "Alert limit reached", clock.now())
    d = deliverer(db, notifier, clock)
    await d.drain()
    assert notifier.log == []
    [waiting] = await db.pending_notices(chat(1))
    assert waiting.attempts == 1
    assert await d.drain() == 0  # not before retry_after
    clock.advance(30)
    await d.drain()
    assert notifier.log == [("text", chat(1), "Alert limit reached")]


async def test_a_keyed_notice_is_queued_once(db: SqlStorage, clock: TimeMachine) -> None:
    assert await db.queue_notice(chat(1), "limit", clock.now(), key="alert-limit:13:00")
    assert not await db.queue_notice(chat(1), "limit", clock.now(), key="alert-limit:13:00")
    assert len(await db.pending_notices(chat(1))) == 1


class LosesTheDatabaseOnce:
    """Storage proxy: the first ``mark_sent`` fails as if the database went away."""

    def __init__(self, inner: SqlStorage) -> None:
        self._inner, self.failed = inner, False

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def mark_sent(self, delivery_id: int, now: object, **kw: object) -> None:
        if not self.failed:
            self.failed = True
            raise StorageError("database error: ConnectionResetError")
        await self._inner.mark_sent(delivery_id, now, **kw)  # type: ignore[arg-type]


async def test_after_a_failed_round_the_claims_are_released_at_once(
    db: SqlStorage, clock: TimeMachine
) -> None:
    notifier = RecordingNotifier()
    for n in (1, 2, 3):
        await db.subscribe(chat(n), ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 2, clock.now())
    proxy = LosesTheDatabaseOnce(db)
    d = deliverer(proxy, notifier, clock, lease_seconds=300.0)
    await d.drain()  # one chat's round fails: its rows stay claimed for 300 s ...
    await d.drain()  # ... until this round releases them at once
    await drain_all(d, clock)  # the clock moved a few seconds, far from the lease
    sent = [(c.chat_id, b.id) for c, b, _ in notifier.sent]
    expected = {(f"c{n}", b.id) for n in (1, 2, 3) for b in briefs}
    assert set(sent) == expected  # nothing lost
    assert len(sent) - len(expected) <= 1  # only the send whose record failed repeats
    assert await count_pending(db) == 0
