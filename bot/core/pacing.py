"""Pacing of everything newsbrief sends to one platform: ``Pacer``.

One ``Pacer`` per platform serves briefs, digests, notices and command replies alike:

- **Per-chat spacing** (``ChatPacer``): a chat gets a message no sooner than the platform's
  interval for it after the previous one (Telegram: 1 s private, 3 s groups), across rounds.
  A per-chat 429 moves that chat's next slot to ``retry_after``; other chats keep flowing.
- **Platform rate** (``RateGate``): sends start at least ``1 / rate`` apart, with no burst
  credit, so a send starts only at its slot. The rate starts at ``HEADROOM`` of the platform's
  published limit (the server counts arrivals in a sliding window; jitter must not tip it
  over). A **global** limit -- 429s on two or more different chats within ``GLOBAL_WINDOW``
  seconds, or a 429 the platform marks global (Discord ``global: true``) -- holds every send
  of the platform for ``retry_after`` and multiplies the rate by ``DECREASE``; each quiet
  second then adds ``RECOVERY`` messages/s back, up to the starting rate (AIMD).
- **In-flight window** (``Window``): how many sends may be out at once before their outcome is
  recorded. Its size follows the platform's rate and a running estimate of how long one send
  takes (``size = ceil(rate x latency) + 1``, at least 2, at most ``ceiling``): enough to fill
  the rate at the measured latency, no more. A crash repeats at most the sends in the window.
- **Retries** (``deliver``): replies and other sends that have no outbox row are retried on a
  429 (after ``retry_after``) and on network errors (1, 2, 4 ... s), up to ``attempts``; one
  that still fails is logged with the chat and what it was (``label``), never dropped silently.

Everything runs on an injected monotonic clock and ``sleep``, so tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import TypeVar

from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, RateLimited
from bot.core.models import ChatRef
from bot.core.ports import Pace

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]
T = TypeVar("T")

logger = logging.getLogger(__name__)

HEADROOM = 0.95
"""Share of the platform's published rate aimed at."""
DECREASE = 0.85
"""Factor applied to the rate at each global limit."""
RECOVERY = 1.0
"""Messages per second added back per quiet second after a global limit."""
FLOOR = 1.0
"""The rate never drops below this many messages per second."""
GLOBAL_WINDOW = 1.0
"""429s on different chats within this many seconds mean a platform-wide limit."""
LATENCY_WEIGHT = 0.2
"""Weight of the newest sample in the running latency estimate."""


class RateGate:
    """Spaces sends ``1 / rate`` apart without bursts; holds and lowers the rate on demand."""

    def __init__(
        self, per_second: float, monotonic: Monotonic = time.monotonic, *, headroom: float = 1.0
    ) -> None:
        self.ceiling = per_second * headroom if per_second > 0 else 0.0
        self.rate = self.ceiling
        self.monotonic = monotonic
        self._next = 0.0
        self._hold_until = 0.0
        self._recovering_since: float | None = None

    def held_until(self) -> float:
        """Monotonic time until which every send waits (0: no hold)."""
        return self._hold_until

    def hold(self, until: float) -> None:
        """No send starts before ``until`` (monotonic)."""
        self._hold_until = max(self._hold_until, until)

    def decrease(self) -> None:
        """Lower the rate after a global limit; it recovers additively afterwards."""
        if self.ceiling:
            self.rate = max(min(FLOOR, self.ceiling), self.rate * DECREASE)
            self._recovering_since = self.monotonic()

    def _recover(self, now: float) -> None:
        since = self._recovering_since
        if since is None or self.rate >= self.ceiling:
            self._recovering_since = None
            return
        if now > since:
            self.rate = min(self.ceiling, self.rate + RECOVERY * (now - since))
            self._recovering_since = now

    def current_rate(self) -> float:
        """The rate now (after the recovery since the last global limit)."""
        self._recover(self.monotonic())
        return self.rate

    async def wait(self, sleep: Sleep) -> None:
        """Return when the next send may start."""
        while True:
            now = self.monotonic()
            self._recover(now)
            hold = self._hold_until
            start = max(now, self._next, hold)
            gap = 1.0 / self.rate if self.rate > 0 else 0.0
            self._next = start + gap
            if start <= now:
                return
            await sleep(start - now)
            if self._hold_until == hold:
                return
            # A hold began while this send waited for its slot: take a slot after it.


class ChatPacer:
    """Keeps messages to one chat ``interval`` seconds apart, across delivery rounds.

    Remembers the next allowed send per chat; entries in the past are pruned when the map
    grows, so memory stays bounded by the chats active in the last few seconds.
    """

    PRUNE_AT = 10_000

    def __init__(self, monotonic: Monotonic = time.monotonic) -> None:
        self._next: dict[Hashable, float] = {}
        self.monotonic = monotonic

    async def wait(self, chat: Hashable, interval: float, sleep: Sleep) -> None:
        """Return when ``chat`` may get its next message, and book the slot after it."""
        now = self.monotonic()
        start = max(now, self._next.get(chat, 0.0))
        self._next[chat] = start + interval
        if len(self._next) > self.PRUNE_AT:
            self._next = {k: v for k, v in self._next.items() if v > now}
        if start > now:
            await sleep(start - now)

    def free_at(self, chat: Hashable) -> float:
        """Monotonic time of ``chat``'s next slot (0: none booked)."""
        return self._next.get(chat, 0.0)

    def hold(self, chat: Hashable, until: float) -> None:
        """``chat`` gets nothing before ``until`` (it answered 429)."""
        self._next[chat] = max(self._next.get(chat, 0.0), until)


class Window:
    """A semaphore whose size can change: the sends allowed out at once."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.busy = 0
        self.peak = 0
        self._cond = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.busy < self.size)
            self.busy += 1
            self.peak = max(self.peak, self.busy)

    async def release(self, new_size: int) -> None:
        async with self._cond:
            self.busy -= 1
            self.size = max(1, new_size)
            self._cond.notify_all()


class Pacer:
    """The pace of one platform, shared by the outbox and the reply path (module docstring)."""

    def __init__(
        self,
        pace: Pace,
        *,
        name: str = "",
        ceiling: int = 8,
        attempts: int = 5,
        infer_global: bool = True,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """``infer_global=False`` for a platform that says which 429s are global (Discord):
        then only those hold every chat, and 429s on several chats stay per-chat."""
        self.pace = pace
        self.name = name
        self.infer_global = infer_global
        self.attempts = attempts
        self.gate = RateGate(pace.per_second, monotonic, headroom=HEADROOM)
        self.chats = ChatPacer(monotonic)
        self.ceiling = max(1, ceiling)
        self.window = Window(min(2, self.ceiling))
        self.latency: float | None = None
        self.sleep = sleep
        self._monotonic = monotonic
        self._recent_429: dict[ChatRef, float] = {}
        self.global_limits = 0

    def use(self, *, monotonic: Monotonic, sleep: Sleep, ceiling: int) -> None:
        """Run on this clock with this window ceiling (the ``Deliverer`` drives the pacer)."""
        self._monotonic = self.gate.monotonic = self.chats.monotonic = monotonic
        self.sleep = sleep
        self.ceiling = max(1, ceiling)
        self.window.size = min(self.window.size, self.ceiling)

    def window_size(self) -> int:
        """Sends allowed in flight for the current rate and latency estimate."""
        if self.latency is None:
            return min(2, self.ceiling)
        wanted = math.ceil(self.gate.current_rate() * self.latency) + 1
        return min(self.ceiling, max(2, wanted))

    async def turn(self, chat: ChatRef) -> None:
        """Wait for ``chat``'s next slot (per-chat spacing)."""
        await self.chats.wait(chat, self.pace.interval(chat), self.sleep)

    @asynccontextmanager
    async def sending(self, chat: ChatRef | None = None) -> AsyncIterator[None]:
        """Hold a window slot, wait for the platform's next slot, then run the body (the send
        and the recording of its outcome); the body's duration feeds the latency estimate.

        With ``chat``, its next slot is counted from when this send really starts (after the
        waits here), not from when its turn was booked, so two sends to one chat never start
        closer than its interval (a platform counts a chat's messages as they arrive)."""
        await self.window.acquire()
        try:
            await self.gate.wait(self.sleep)
            started = self._monotonic()
            if chat is not None:
                self.chats.hold(chat, started + self.pace.interval(chat))
            try:
                yield
            finally:
                took = max(0.0, self._monotonic() - started)
                self.latency = (
                    took
                    if self.latency is None
                    else (1 - LATENCY_WEIGHT) * self.latency + LATENCY_WEIGHT * took
                )
        finally:
            await self.window.release(self.window_size())

    def limited(self, chat: ChatRef, retry_after: float, *, is_global: bool = False) -> bool:
        """Note a 429 from ``chat``; returns True when it means a platform-wide limit (then
        every send waits ``retry_after`` and the rate goes down), else holds only the chat."""
        now = self._monotonic()
        self._recent_429 = {
            c: t for c, t in self._recent_429.items() if now - t <= GLOBAL_WINDOW and c != chat
        }
        held = self.gate.held_until() > now  # a 429 during a platform hold is part of it
        inferred = self.infer_global and (held or bool(self._recent_429))
        if not (is_global or inferred):
            self._recent_429[chat] = now
            self.chats.hold(chat, now + retry_after)
            return False
        if not held:
            # One decrease per global limit, however many sends in flight report it.
            self.gate.decrease()
            self.global_limits += 1
            logger.warning(
                "%s: platform-wide rate limit; every chat waits %.1fs, rate now %.1f/s",
                self.name or "platform",
                retry_after,
                self.gate.rate,
            )
        self.gate.hold(now + retry_after)
        self._recent_429.clear()
        return True

    async def deliver(
        self,
        chat: ChatRef,
        send: Callable[[], Awaitable[T]],
        *,
        label: str,
        per_chat: bool = True,
    ) -> T | None:
        """Send something that has no outbox row (a command reply) at the platform's pace,
        retrying 429s after ``retry_after`` and network errors with back-off; returns None
        (after logging the chat and ``label``) when every attempt failed or the chat cannot
        receive.

        ``per_chat=False`` for a send the chat's own limit does not count (a Discord
        interaction follow-up has its own bucket): it skips the chat's spacing, and its
        non-global 429s wait ``retry_after`` without holding the chat's other messages."""
        for attempt in range(1, self.attempts + 1):
            if per_chat:
                await self.turn(chat)
            try:
                async with self.sending(chat if per_chat else None):
                    return await send()
            except (ChatUnavailable, ChatMoved) as exc:
                logger.warning("%s to %s not sent: %s", label, chat, exc)
                return None
            except RateLimited as exc:
                failure: DeliveryError = exc
                if per_chat or exc.is_global:
                    self.limited(chat, exc.retry_after, is_global=exc.is_global)
                    pause = 0.0  # the chat's or the platform's hold makes the next one wait
                else:
                    pause = exc.retry_after
            except DeliveryError as exc:
                failure, pause = exc, float(2 ** (attempt - 1))
            if attempt < self.attempts:
                logger.info("%s to %s failed (%s); retrying", label, chat, failure)
                if pause:
                    await self.sleep(pause)
        logger.error("%s to %s not sent after %d attempts: %s", label, chat, self.attempts, failure)
        return None
