"""Pacing primitives of the delivery loop: a per-platform gate and per-chat spacing.

Both work on a monotonic clock and an injected ``sleep`` so that tests drive them with a fake
clock and never sleep for real.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


class RateGate:
    """Spaces events at least ``1 / per_second`` apart (a leaky bucket without bursts)."""

    def __init__(self, per_second: float, monotonic: Monotonic = time.monotonic) -> None:
        self._gap = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._monotonic = monotonic
        self._lock = asyncio.Lock()

    async def wait(self, sleep: Sleep) -> None:
        """Return when the next event may happen."""
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._next)
            self._next = start + self._gap
        if start > now:
            await sleep(start - now)


class ChatPacer:
    """Keeps messages to one chat ``interval`` seconds apart, across delivery rounds.

    Remembers the next allowed send per chat; entries in the past are pruned when the map
    grows, so memory stays bounded by the chats active in the last few seconds.
    """

    PRUNE_AT = 10_000

    def __init__(self, monotonic: Monotonic = time.monotonic) -> None:
        self._next: dict[Hashable, float] = {}
        self._monotonic = monotonic

    async def wait(self, chat: Hashable, interval: float, sleep: Sleep) -> None:
        """Return when ``chat`` may get its next message, and book the slot after it."""
        now = self._monotonic()
        start = max(now, self._next.get(chat, 0.0))
        self._next[chat] = start + interval
        if len(self._next) > self.PRUNE_AT:
            self._next = {k: v for k, v in self._next.items() if v > now}
        if start > now:
            await sleep(start - now)
