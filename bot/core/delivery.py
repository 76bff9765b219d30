"""Draining the outbox: pacing per chat and platform, retries, blocked and moved chats.

``Deliverer.drain()`` claims due outbox rows, sends them through the notifier of each chat's
platform, and records every outcome before the next claim, so a crash loses nothing: a row
claimed but not finished is claimed again when its lease runs out (at most the one send that
was in flight is repeated). Chats are served concurrently; within one chat, rows go in order
and no faster than the platform's per-chat pace; across a platform, no faster than its global
pace. Outcomes:

- sent: the row is done.
- ``RateLimited``: the row and the rest of that chat's batch wait ``retry_after``; nothing is
  dropped and other chats keep flowing.
- ``ChatUnavailable``: the chat's failure count grows; after ``unavailable_after`` failures in a
  row the chat is marked unavailable and its rows wait (they flow again if the chat talks to
  the bot again, see ``Commands``).
- ``ChatMoved``: the chat is re-keyed and the row retried at once.
- ``DeliveryError``: retried with exponential back-off; given up after ``max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta

from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, RateLimited
from bot.core.models import ChatRef, Delivery, Platform
from bot.core.ports import Clock, Notifier, Pace, Storage

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class RateGate:
    """Spaces events at least ``1 / per_second`` apart (a leaky bucket without bursts)."""

    def __init__(self, per_second: float, monotonic: Callable[[], float] = time.monotonic) -> None:
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


class Deliverer:
    """Sends outbox rows; one instance per process."""

    def __init__(
        self,
        storage: Storage,
        notifiers: Mapping[Platform, Notifier],
        clock: Clock,
        *,
        batch: int = 500,
        lease_seconds: float = 300.0,
        max_attempts: int = 12,
        unavailable_after: int = 3,
        sleep: Sleep = asyncio.sleep,
        concurrency: int = 256,
    ) -> None:
        self._storage = storage
        self._notifiers = notifiers
        self._clock = clock
        self._batch = batch
        self._lease = lease_seconds
        self._max_attempts = max_attempts
        self._unavailable_after = unavailable_after
        self._sleep = sleep
        self._gates = {p: RateGate(n.pace.per_second) for p, n in notifiers.items()}
        self._chat_limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell ``run`` that new rows were queued."""
        self._wake.set()

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Drain forever; sleep ``idle_seconds`` (or until woken) when there is nothing to do."""
        while True:
            try:
                sent = await self.drain()
            except Exception:
                logger.exception("delivery round failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_seconds)
                self._wake.clear()

    async def drain(self) -> int:
        """Claim one batch of due rows and send them; returns how many rows were claimed."""
        now = self._clock.now()
        claimed = await self._storage.claim_deliveries(now, self._batch, self._lease)
        if not claimed:
            return 0
        by_chat: dict[ChatRef, list[Delivery]] = defaultdict(list)
        for row in claimed:
            by_chat[row.chat].append(row)
        await asyncio.gather(*(self._chat(chat, rows) for chat, rows in by_chat.items()))
        return len(claimed)

    async def _chat(self, chat: ChatRef, rows: list[Delivery]) -> None:
        notifier = self._notifiers.get(chat.platform)
        if notifier is None:
            # That platform is not running in this process; try again later.
            later = self._clock.now() + timedelta(minutes=5)
            for row in rows:
                await self._storage.retry_delivery(row.id, later, f"{chat.platform} not running")
            return
        async with self._chat_limit:
            pace: Pace = notifier.pace
            for i, row in enumerate(rows):
                if i:
                    await self._sleep(pace.interval(chat))
                await self._gates[chat.platform].wait(self._sleep)
                if not await self._send(notifier, row):
                    # Stop this chat's batch: the remaining rows are released untouched.
                    at = self._clock.now() + timedelta(seconds=1)
                    for rest in rows[i + 1 :]:
                        await self._storage.retry_delivery(rest.id, at, "held back")
                    return

    async def _send(self, notifier: Notifier, row: Delivery) -> bool:
        """Send one row and record the outcome; False when the chat must pause."""
        try:
            await notifier.send_brief(row.chat, row.brief, alert_terms=row.alert_terms)
        except RateLimited as exc:
            at = self._clock.now() + timedelta(seconds=exc.retry_after)
            logger.info("chat %s rate limited for %.1fs", row.chat, exc.retry_after)
            await self._storage.retry_delivery(row.id, at, str(exc))
            return False
        except ChatMoved as exc:
            logger.info("chat %s moved to %s", row.chat, exc.new_chat)
            await self._storage.move_chat(row.chat, exc.new_chat)
            await self._storage.retry_delivery(row.id, self._clock.now(), str(exc))
            return False
        except ChatUnavailable as exc:
            await self._chat_unavailable(row, str(exc))
            return False
        except DeliveryError as exc:
            await self._failed(row, str(exc))
            return True
        await self._storage.mark_sent(row.id, self._clock.now())
        settings = await self._storage.get_chat(row.chat)
        if settings.failures:
            await self._storage.save_chat(replace(settings, failures=0))
        return True

    async def _chat_unavailable(self, row: Delivery, error: str) -> None:
        settings = await self._storage.get_chat(row.chat)
        failures = settings.failures + 1
        available = failures < self._unavailable_after
        if not available:
            logger.warning("chat %s unavailable after %d failures: %s", row.chat, failures, error)
        await self._storage.save_chat(replace(settings, failures=failures, available=available))
        delay = timedelta(seconds=min(3600, 30 * 2**failures))
        await self._storage.retry_delivery(row.id, self._clock.now() + delay, error)

    async def _failed(self, row: Delivery, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self._max_attempts:
            logger.error("giving up on delivery %d to %s: %s", row.id, row.chat, error)
            await self._storage.fail_delivery(row.id, error)
            return
        delay = timedelta(seconds=min(3600, 5 * 2**attempts))
        logger.warning("delivery %d to %s failed (%d): %s", row.id, row.chat, attempts, error)
        await self._storage.retry_delivery(row.id, self._clock.now() + delay, error)
