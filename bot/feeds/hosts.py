"""Per-host politeness: a concurrency limit per host and a shared "come back later" time.

When a host answers 429 or 503, every feed and article on that host waits: ``HostGate.check``
raises ``HostThrottledError`` (without a request) until the time the host asked for
(``Retry-After``, seconds or an HTTP date) or, when it gave none, an exponential back-off with
jitter (``schedule.host_backoff``). A success from the host clears its strikes.

The gate is per process and keyed by host name (ports ignored: one server, one budget).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.core import schedule
from bot.core.errors import HostThrottledError
from bot.core.ports import Clock

logger = logging.getLogger(__name__)


@dataclass
class _Host:
    slots: asyncio.Semaphore
    blocked_until: datetime | None = None
    strikes: int = 0


class HostGate:
    """Concurrency slots and throttling state for every host the fetcher talks to."""

    def __init__(
        self, clock: Clock, *, per_host: int = 2, rng: random.Random | None = None
    ) -> None:
        self._clock = clock
        self._per_host = per_host
        self._rng = rng or random.Random()
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        key = host.lower().rstrip(".")
        found = self._hosts.get(key)
        if found is None:
            found = self._hosts[key] = _Host(asyncio.Semaphore(self._per_host))
        return found

    def blocked_for(self, host: str) -> float:
        """Seconds until ``host`` may be contacted again (0 when it may be now)."""
        until = self._host(host).blocked_until
        if until is None:
            return 0.0
        return max(0.0, (until - self._clock.now()).total_seconds())

    def check(self, host: str) -> None:
        """Raise ``HostThrottledError`` while ``host`` asked us to wait."""
        wait = self.blocked_for(host)
        if wait > 0:
            raise HostThrottledError(
                f"{host} asked us to wait; next try in {wait:.0f} s", retry_after=wait
            )

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold one of the host's concurrency slots; checks the throttle before and after."""
        self.check(host)
        state = self._host(host)
        async with state.slots:
            self.check(host)
            yield

    def throttled(self, host: str, retry_after: float | None) -> float:
        """Record a 429/503 from ``host``; return the seconds every request to it must wait."""
        state = self._host(host)
        state.strikes += 1
        if retry_after is not None:
            delay = schedule.clamp_retry_after(retry_after)
        else:
            delay = schedule.host_backoff(state.strikes, rng=self._rng)
        until = self._clock.now() + delay
        if state.blocked_until is None or until > state.blocked_until:
            state.blocked_until = until
        logger.info("host %s throttled us; waiting %.0f s", host, delay.total_seconds())
        return delay.total_seconds()

    def succeeded(self, host: str) -> None:
        """A request to ``host`` succeeded: forget its strikes."""
        state = self._hosts.get(host.lower().rstrip("."))
        if state is not None and state.strikes:
            state.strikes = 0
