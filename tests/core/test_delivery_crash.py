"""Crash at every step of a delivery, restart on the same SQLite file: nothing is lost, and
only a send that was in flight at the moment of the crash is repeated.

A crash is simulated by a proxy that, from the chosen moment on, makes every db and
notifier call raise: nothing after that point takes effect, as after ``kill -9``. The restart
opens a new ``SqlStorage`` on the same file and a new ``Deliverer``.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.core.delivery import Deliverer
from bot.storage import SqlStorage, open_storage
from tests.core.delivery_support import TimeMachine, add_briefs, chat
from tests.fakes import RecordingNotifier, count_pending

LEASE = 60.0


class Crashed(BaseException):
    """The process died."""


class Fuse:
    """Burns at the ``nth`` call of ``step``; after that every call fails."""

    def __init__(self, step: str, nth: int) -> None:
        self.step, self.nth, self.calls, self.blown = step, nth, 0, False

    def check(self, step: str) -> None:
        if self.blown:
            raise Crashed(step)
        if step == self.step:
            self.calls += 1
            if self.calls == self.nth:
                self.blown = True
                raise Crashed(step)


class CrashingStorage:
    """Storage proxy: ``before:<method>`` dies before the call, ``after:<method>`` after it
    committed."""

    def __init__(self, inner: SqlStorage, fuse: Fuse) -> None:
        self._inner, self._fuse = inner, fuse

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._fuse.check(f"before:{name}")
            result = await method(*args, **kwargs)
            self._fuse.check(f"after:{name}")
            return result

        return call


class CrashingNotifier(RecordingNotifier):
    """``before:send`` dies before the message leaves; ``after:send`` right after it left."""

    def __init__(self, fuse: Fuse) -> None:
        super().__init__()
        self._fuse = fuse

    async def send_brief(self, chat: Any, brief: Any, *, alert_terms: Any = ()) -> None:
        self._fuse.check("before:send")
        await super().send_brief(chat, brief, alert_terms=alert_terms)
        self._fuse.check("after:send")


STEPS = [
    ("after:claim_deliveries", False),
    ("before:send", False),
    ("after:send", True),  # the message left; the process died before recording it
    ("before:mark_sent", True),
    ("after:mark_sent", False),
]


@pytest.mark.parametrize("nth", [1, 5])
@pytest.mark.parametrize(("step", "repeats_one"), STEPS)
async def test_restart_after_a_crash_loses_nothing(
    db_url: str, db: SqlStorage, clock: TimeMachine, step: str, repeats_one: bool, nth: int
) -> None:
    chats = [chat(n) for n in range(3)]
    for c in chats:
        await db.subscribe(c, ["wire"], clock.now())
    briefs = await add_briefs(db, "wire", 4, clock.now())
    expected = Counter((c, b.id) for c in chats for b in briefs)

    fuse = Fuse(step, nth)
    doomed = CrashingNotifier(fuse)
    first = Deliverer(
        CrashingStorage(db, fuse),  # type: ignore[arg-type]
        {doomed.platform: doomed},
        clock,
        lease_seconds=LEASE,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    for _ in range(20):
        # Chat tasks die with Crashed inside drain (logged); the claim dies in drain itself.
        with contextlib.suppress(Crashed):
            await first.drain()
        if fuse.blown:
            break
    assert fuse.blown
    await db.close()

    # Restart: a new process on the same database file, after the lease ran out.
    clock.advance(LEASE)
    reopened = await open_storage(db_url)
    survivor = RecordingNotifier()
    second = Deliverer(
        reopened,
        {survivor.platform: survivor},
        clock,
        lease_seconds=LEASE,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    for _ in range(20):
        if not await second.drain():
            break
    assert await count_pending(reopened) == 0
    await reopened.close()

    got = Counter((c, p[0]) for log in (doomed.log, survivor.log) for _, c, p in log)  # type: ignore[index]
    assert set(got) == set(expected), "a brief was lost"
    duplicates = sum(got.values()) - len(expected)
    assert duplicates == (1 if repeats_one else 0)
