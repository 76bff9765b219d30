"""Draining the outbox: pacing, coalescing, digests, quiet hours, alert limits, retries.

``Deliverer.drain()`` claims due outbox rows (with a lease), sends them through the notifier of
each chat's platform, and records every outcome before the next claim. A crash loses nothing:
a row claimed but not finished is claimed again when its lease runs out, so at most the sends
that were in flight are repeated. Chats are served concurrently; within one chat rows go in
order, no faster than the platform's per-chat pace (kept across rounds), and across a platform
no faster than its global pace (``bot.core.pacing``).

What happens to a chat's claimed rows, in order:

1. Quiet hours (``/quiet``): every row, and every notice (a feed paused, the alert limit),
   waits until they end (released, not an attempt). Otherwise notices go first.
2. Digest mode (``/digest 08:00``): rows that are not alerts wait for the next digest time;
   once it has come, they go out as one digest, most-covered stories first, and the chat's
   ``last_digest_at`` moves on. Alerts are still pushed at once.
3. Coalescing: ``coalesce_threshold`` or more rows at once (a busy feed, a burst after
   downtime, rows that waited out a long Retry-After) go out as one digest instead of a flood.
   Rows are marked sent only after the digest was sent.
4. Alert limit: at most ``alerts_per_hour`` alert messages per chat per rolling hour. When
   more alert rows are due than slots are left, the last slot carries the rest as one
   combined message; with no slot left they wait until one frees up (then arrive together),
   and the chat gets one notice saying so.
5. The rest are sent one by one. Outcomes:

   - sent: done.
   - ``RateLimited``: the row (one attempt) and the rest of the chat's rows (held back, no
     attempt) wait ``retry_after``; other chats keep flowing. Nothing is dropped.
   - ``ChatMoved``: the chat is re-keyed and its rows retried at once.
   - ``ChatUnavailable``: the chat's failure count grows and its rows back off; after
     ``unavailable_after`` failures in a row the chat is marked unavailable and its rows wait
     (they flow again when the chat talks to the bot, or expire after the retention period).
   - ``DeliveryError``: the row is retried with exponential back-off and given up after
     ``max_attempts``; two failures in a row also hold the chat's other rows back (the chat,
     not just one brief, is failing), for a back-off that grows until a send succeeds.

``housekeep()`` (run hourly by ``run``) gives up on rows older than the retention period and
deletes finished rows after ``keep_finished``.

Several workers on one PostgreSQL database each run a ``Deliverer``; claims keep them off each
other's rows. Two things must happen once for the whole cluster, so only the worker for which
``housekeeper()`` is true does them: the hourly housekeeping, and scheduled digests (another
worker that claims a chat's rows at its digest time hands them back, due again in
``DIGEST_HANDOFF``, for the housekeeper to send as one digest).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import briefs, schedule
from bot.core.errors import ChatMoved, ChatUnavailable, DeliveryError, MessageGone, RateLimited
from bot.core.i18n import _, ngettext, using
from bot.core.models import ChatRef, ChatSettings, Delivery, Edit, Notice, Platform
from bot.core.pacing import Monotonic, Pacer, RateGate, Sleep
from bot.core.ports import Clock, Notifier, Storage

__all__ = ["Deliverer", "RateGate"]

logger = logging.getLogger(__name__)
_Sent = TypeVar("_Sent")

DIGEST_HANDOFF = timedelta(seconds=5)
"""How soon rows of a due digest claimed by a worker that does not send digests are due again."""


def _always() -> bool:
    return True


HOUR = timedelta(hours=1)
_Claimed = tuple[list[Notice], list[Delivery], list[Edit]]
_MAX_BACKOFF = 3600.0


def _backoff(failures: int, base: float) -> timedelta:
    return timedelta(seconds=min(_MAX_BACKOFF, base * 2 ** min(failures, 20)))


def _coverage(row: Delivery) -> tuple[int, datetime]:
    return (1 + len(row.brief.also_sources), row.brief.published)


class Deliverer:
    """Sends outbox rows; one instance per process."""

    def __init__(
        self,
        storage: Storage,
        notifiers: Mapping[Platform, Notifier],
        clock: Clock,
        *,
        batch: int = 500,
        lease_seconds: float = 20.0,
        max_attempts: int = 12,
        unavailable_after: int = 3,
        coalesce_threshold: int = 10,
        digest_max_stories: int = 20,
        alerts_per_hour: int = 20,
        retention: timedelta = timedelta(hours=72),
        keep_finished: timedelta = timedelta(days=30),
        sleep: Sleep = asyncio.sleep,
        monotonic: Monotonic = time.monotonic,
        concurrency: int = 256,
        in_flight: int = 8,
        housekeeper: Callable[[], bool] = _always,
    ) -> None:
        self._storage = storage
        self._housekeeper = housekeeper
        self._notifiers = notifiers
        self._clock = clock
        self._batch = batch
        self._lease = lease_seconds
        self._max_attempts = max_attempts
        self._unavailable_after = unavailable_after
        self._coalesce = coalesce_threshold
        self._digest_max = digest_max_stories
        self._alerts_per_hour = alerts_per_hour
        self._retention = retention
        self._keep_finished = keep_finished
        self._sleep = sleep
        self._pacers: dict[Platform, Pacer] = {}
        for platform, notifier in notifiers.items():
            pacer = getattr(notifier, "pacer", None)
            if not isinstance(pacer, Pacer):
                pacer = Pacer(notifier.pace, name=platform.value)
            pacer.use(monotonic=monotonic, sleep=sleep, ceiling=in_flight)
            self._pacers[platform] = pacer
        self._chat_limit = asyncio.Semaphore(concurrency)
        self._lookups = asyncio.Semaphore(4)
        self._orphans = False
        self._prefetched: _Claimed | None = None
        self._wake = asyncio.Event()
        self._error_streak: dict[ChatRef, int] = {}
        self._rate_limited_until: dict[ChatRef, datetime] = {}
        self._alert_notice_until: dict[ChatRef, datetime] = {}
        self._last_housekeeping: datetime | None = None
        self._stopping = False

    def wake(self) -> None:
        """Tell ``run`` that new rows were queued."""
        self._wake.set()

    async def notify(self, chat: ChatRef, text: str, *, key: str | None = None) -> None:
        """Queue a notice for ``chat`` (a feed paused, the alert limit): it leaves through the
        outbox and the same notifier as the chat's briefs, paced, retried and crash-safe;
        with ``key``, at most once per chat."""
        await self._storage.queue_notice(chat, text, self._clock.now(), key=key)
        self._wake.set()

    def stop(self) -> None:
        """Make ``run`` return once the sends under way are recorded: rows not yet sent stay
        claimed (reclaimed at the next start with SQLite, after their lease otherwise). A
        clean shutdown must not cancel the loop inside a database call."""
        self._stopping = True
        self._wake.set()

    async def run(self, idle_seconds: float = 1.0) -> None:
        """Drain until ``stop``; sleep ``idle_seconds`` (or until woken) when there is nothing
        to do."""
        while not self._stopping:
            try:
                await self._housekeep_hourly()
                sent = await self.drain()
            except Exception:
                logger.exception("delivery round failed; retrying")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), idle_seconds)
                self._wake.clear()

    async def drain(self) -> int:
        """Handle one batch of due rows (claimed now, or ahead of time while the last round
        finished); returns how many rows and notices it handled."""
        now = self._clock.now()
        if self._orphans:
            # The last round lost the database (or a chat's handling failed): what it claimed
            # and did not record is due again now, not when the lease runs out.
            self._prefetched = None
            released = await self._storage.release_claims(now)
            self._orphans = False
            if released:
                logger.info("%d claimed deliveries released after a failed round", released)
        notices, claimed, edits = self._prefetched or await self._claim()
        self._prefetched = None
        if not claimed and not notices and not edits:
            return 0
        by_chat: dict[ChatRef, list[Delivery]] = defaultdict(list)
        notes: dict[ChatRef, list[Notice]] = defaultdict(list)
        rewrites: dict[ChatRef, list[Edit]] = defaultdict(list)
        for notice in notices:
            notes[notice.chat].append(notice)
            by_chat.setdefault(notice.chat, [])
        for edit in edits:
            rewrites[edit.chat].append(edit)
            by_chat.setdefault(edit.chat, [])
        for row in claimed:
            by_chat[row.chat].append(row)
        left = len(claimed) + len(notices) + len(edits)
        ahead: asyncio.Task[_Claimed] | None = None

        async def one(chat: ChatRef, rows: list[Delivery]) -> None:
            nonlocal left, ahead
            try:
                await self._chat(chat, rows, notes.get(chat, []), rewrites.get(chat, []))
            finally:
                left -= len(rows) + len(notes.get(chat, [])) + len(rewrites.get(chat, []))
                if ahead is None and not self._stopping and left <= self._claim_ahead_at():
                    # Claim the next batch while the last sends of this one are out, so the
                    # platform's rate is not left idle between rounds.
                    ahead = asyncio.create_task(self._claim(renew=True), name="claim ahead")

        renewer = asyncio.create_task(self._renew_leases(), name="lease renewal")
        try:
            results = await asyncio.gather(
                *(one(chat, rows) for chat, rows in by_chat.items()), return_exceptions=True
            )
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
        for chat, result in zip(by_chat, results, strict=True):
            if isinstance(result, BaseException):
                # Released at the start of the next round (``release_claims``).
                self._orphans = True
                logger.error("delivery to %s failed", chat, exc_info=result)
        if ahead is not None:
            try:
                got = await ahead
                self._prefetched = got if any(got) else None
            except Exception:
                self._orphans = True
                logger.exception("claiming the next delivery batch failed")
        return len(claimed) + len(notices) + len(edits)

    async def _claim(self, *, renew: bool = False) -> _Claimed:
        now, limit = self._clock.now(), self._claim_limit()
        if renew:
            # Rows of the round still under way must not look due to this claim.
            await self._storage.renew_claims(now, self._lease)
        notices = await self._storage.claim_notices(now, limit, self._lease)
        edits = await self._storage.claim_edits(now, limit, self._lease)
        return notices, await self._storage.claim_deliveries(now, limit, self._lease), edits

    def _claim_ahead_at(self) -> int:
        """Rows left in a round when the next batch is claimed: about one second of sends."""
        return max(8, int(sum(p.gate.current_rate() for p in self._pacers.values())))

    def _claim_limit(self) -> int:
        """Rows the platforms can take within one lease at their current rates (renewal
        covers chats whose own pace makes them take longer), at most ``batch``."""
        rate = sum(p.gate.current_rate() for p in self._pacers.values())
        if rate <= 0:
            return self._batch
        return max(1, min(self._batch, int(rate * self._lease)))

    async def _renew_leases(self) -> None:
        """While a round runs, keep the lease of every row it still holds from running out
        (a chat's queue can take longer than the lease at its own pace)."""
        every = max(1.0, self._lease / 4)
        while True:
            # Real time, not the pacing clock: a lease runs out in real time.
            await asyncio.sleep(every)
            try:
                await self._storage.renew_claims(self._clock.now(), self._lease)
            except Exception:
                logger.warning("could not renew delivery leases", exc_info=True)

    async def housekeep(self) -> tuple[int, int]:
        """Give up on rows older than the retention period; delete old finished rows.

        Returns:
            (rows expired, rows deleted)
        """
        now = self._clock.now()
        expired = await self._storage.expire_deliveries(
            now - self._retention, f"not delivered within {self._retention}"
        )
        deleted = await self._storage.purge_deliveries(now - self._keep_finished)
        if expired or deleted:
            logger.info("outbox: %d rows expired, %d finished rows deleted", expired, deleted)
        return expired, deleted

    async def _housekeep_hourly(self) -> None:
        now = self._clock.now()
        if not self._housekeeper():
            return
        if self._last_housekeeping is None or now - self._last_housekeeping >= HOUR:
            self._last_housekeeping = now
            await self.housekeep()

    # -- one chat ---------------------------------------------------------------------------
    async def _chat(
        self, chat: ChatRef, rows: list[Delivery], notices: list[Notice], edits: list[Edit]
    ) -> None:
        notifier = self._notifiers.get(chat.platform)
        if notifier is None:
            # That platform is not running in this process; try again later.
            later = self._clock.now() + timedelta(minutes=5)
            await self._release(rows, later, f"{chat.platform} not running")
            for notice in notices:
                await self._storage.retry_notice(notice.id, later, f"{chat.platform} not running")
            for edit in edits:
                await self._storage.retry_edit(edit.id, later, f"{chat.platform} not running")
            return
        async with self._chat_limit:
            async with self._lookups:
                # A few at a time: hundreds of chats starting a round at once must not queue
                # their lookups ahead of the outcomes of the sends in flight.
                settings = await self._storage.get_chat(chat)
            with using(settings.language):
                await self._deliver(notifier, settings, rows, notices, edits)

    async def _deliver(
        self,
        notifier: Notifier,
        settings: ChatSettings,
        rows: list[Delivery],
        notices: list[Notice],
        edits: list[Edit],
    ) -> None:
        """One chat's due edits, notices and rows, in its language: held for quiet hours or a
        rate limit, a digest, pushes one by one."""
        chat = settings.chat
        # Edits first, in quiet hours too: rewriting a message makes no sound.
        await self._send_edits(notifier, chat, edits)
        now = self._clock.now()
        if settings.quiet_start and settings.quiet_end:
            end = schedule.quiet_until(
                now, settings.quiet_start, settings.quiet_end, settings.timezone
            )
            if end is not None:
                # Notices too: held (not an attempt) until the quiet hours end.
                await self._release(rows, end, "quiet hours")
                if notices:
                    await self._storage.release_notices([n.id for n in notices], end, "quiet hours")
                return
        if not await self._send_notices(notifier, chat, notices):
            await self._release(rows, self._clock.now(), "held back behind a notice")
            return
        if not rows:
            return
        if await self._held_by_rate_limit(chat, rows):
            return
        if settings.digest_times:
            regular = [r for r in rows if not r.alert_terms]
            rows = [r for r in rows if r.alert_terms]
            if regular:
                await self._digest_rows(notifier, settings, regular, now)
                if await self._held_by_rate_limit(chat, rows):
                    return
        if self._coalesce and len(rows) >= self._coalesce:
            await self._send_digest(
                notifier, chat, ngettext("{n} new story", "{n} new stories", len(rows)), rows
            )
            return
        rows, combined = await self._within_alert_limit(notifier, chat, rows, now)
        await self._send_each(notifier, settings, rows)
        if combined and not await self._held_by_rate_limit(chat, combined):
            terms = ", ".join(dict.fromkeys(t for r in combined for t in r.alert_terms))
            heading = ngettext(
                "Alerts: {n} match ({terms})",
                "Alerts: {n} matches ({terms})",
                len(combined),
                terms=terms,
            )
            await self._send_digest(notifier, chat, heading, combined)

    async def _held_by_rate_limit(self, chat: ChatRef, rows: list[Delivery]) -> bool:
        """A chat that sent a Retry-After gets nothing until then: its rows wait (not an
        attempt), come due together and coalesce, and no round waits for it."""
        blocked = self._rate_limited_until.get(chat)
        if blocked is None:
            return False
        if blocked <= self._clock.now():
            del self._rate_limited_until[chat]
            return False
        await self._release(rows, blocked, "rate limited")
        return True

    async def _digest_rows(
        self, notifier: Notifier, settings: ChatSettings, rows: list[Delivery], now: datetime
    ) -> None:
        """Send the scheduled digest if its time has come, else hold the rows until it."""
        times, zone = settings.digest_times, settings.timezone
        due = schedule.previous_digest_time(now, times, zone)
        if settings.last_digest_at is not None and settings.last_digest_at >= due:
            await self._release(rows, schedule.next_digest_time(now, times, zone), "digest")
            return
        if not self._housekeeper():  # the cluster's housekeeper sends digests
            await self._release(rows, now + DIGEST_HANDOFF, "digest by another worker")
            return
        heading = briefs.digest_heading(schedule.local_time(due, zone), len(rows))
        if await self._send_digest(notifier, settings.chat, heading, rows):
            fresh = await self._storage.get_chat(settings.chat)
            await self._storage.save_chat(replace(fresh, last_digest_at=now))

    async def _send_digest(
        self, notifier: Notifier, chat: ChatRef, heading: str, rows: list[Delivery]
    ) -> bool:
        """One digest message for ``rows``, most-covered first; True when it was sent."""
        ordered = sorted(rows, key=_coverage, reverse=True)
        shown = ordered[: self._digest_max] if self._digest_max else ordered
        if len(shown) < len(ordered):
            heading += " " + _("(the {n} most covered; /latest for more)", n=len(shown))
        await self._pacers[chat.platform].turn(chat)
        failure = await self._paced(
            chat,
            notifier.send_digest(chat, heading, [r.brief for r in shown]),
            lambda _: self._storage.mark_sent_many(
                [r.id for r in rows], self._clock.now(), batched=True
            ),
        )
        if failure is not None:
            pause = await self._handle_error(chat, ordered[0], failure, rows_in_batch=len(ordered))
            if pause is not None:
                await self._release(ordered[1:], pause, "held back")
            else:
                for row in ordered[1:]:
                    await self._failed(row, str(failure))
            return False
        logger.info("sent a digest of %d briefs to %s", len(rows), chat)
        await self._succeeded(chat, None)
        return True

    async def _send_notices(self, notifier: Notifier, chat: ChatRef, notices: list[Notice]) -> bool:
        """Send the chat's notices first, in order; False when the chat must wait (then the
        rest of its notices and rows wait too)."""
        pacer = self._pacers[chat.platform]
        for i, notice in enumerate(notices):
            await pacer.turn(chat)
            if self._stopping:
                return False
            failure = await self._paced(
                chat,
                notifier.send_text(chat, notice.text),
                lambda _: self._storage.finish_notice(notice.id, self._clock.now()),  # noqa: B023
            )
            if failure is None:
                continue
            now = self._clock.now()
            if isinstance(failure, RateLimited):
                pacer.limited(chat, failure.retry_after, is_global=failure.is_global)
                at = now + timedelta(seconds=failure.retry_after)
            elif notice.attempts + 1 >= self._max_attempts:
                logger.error("giving up on a notice to %s: %s", chat, failure)
                await self._storage.finish_notice(notice.id, now, error=str(failure))
                continue
            else:
                at = now + _backoff(notice.attempts + 1, 5.0)
            logger.warning("notice to %s not sent (%s); retrying", chat, failure)
            await self._storage.retry_notice(notice.id, at, str(failure))
            for later in notices[i + 1 :]:
                await self._storage.retry_notice(later.id, at, "held back")
            return False
        return True

    async def _within_alert_limit(
        self, notifier: Notifier, chat: ChatRef, rows: list[Delivery], now: datetime
    ) -> tuple[list[Delivery], list[Delivery]]:
        """Split ``rows`` into those to send one by one and alert rows to combine into one
        message; alert rows beyond the hourly limit wait until a slot frees up."""
        alert_rows = [r for r in rows if r.alert_terms]
        if not alert_rows or self._alerts_per_hour <= 0:
            return rows, []
        sent = await self._storage.alert_sends(chat, now - HOUR)
        budget = self._alerts_per_hour - len(sent)
        if budget >= len(alert_rows):
            return rows, []
        if budget >= 1:
            # The last free slot carries every remaining match in one message.
            combined = alert_rows[budget - 1 :]
            held = {r.id for r in combined}
            return [r for r in rows if r.id not in held], combined
        free_at = (sent[0] if sent else now) + HOUR
        await self._release(alert_rows, free_at, "alert limit")
        noticed_until = self._alert_notice_until.get(chat)
        if noticed_until is None or noticed_until <= now:
            self._alert_notice_until[chat] = free_at
            settings = await self._storage.get_chat(chat)
            text = _(
                "Alert limit reached: this chat gets at most {limit} alert messages an hour. "
                "{waiting} more matches wait until {time} ({zone}) and then arrive together. "
                "Narrow your alerts with -words; /alerts lists them.",
                limit=self._alerts_per_hour,
                waiting=len(alert_rows),
                time=schedule.local_time(free_at, settings.timezone),
                zone=settings.timezone,
            )
            # Once per limit window.
            await self.notify(chat, text, key=f"alert-limit:{free_at.isoformat()}")
        held = {r.id for r in alert_rows}
        return [r for r in rows if r.id not in held], []

    async def _send_each(
        self, notifier: Notifier, settings: ChatSettings, rows: list[Delivery]
    ) -> None:
        chat = settings.chat
        pacer = self._pacers[chat.platform]
        for i, row in enumerate(rows):
            await pacer.turn(chat)
            if self._stopping:
                return
            failure = await self._paced(
                chat,
                notifier.send_brief(chat, row.brief, alert_terms=row.alert_terms),
                # The recording lambdas run inside ``_paced``, in this turn of the loop.
                lambda message: self._storage.mark_sent(
                    row.id,  # noqa: B023
                    self._clock.now(),
                    message_id=message,
                ),
            )
            if failure is not None:
                pause = await self._handle_error(chat, row, failure, rows_in_batch=len(rows) - i)
                if pause is not None:
                    await self._release(rows[i + 1 :], pause, "held back")
                    return
                continue
            await self._succeeded(chat, settings.failures)
            settings = replace(settings, failures=0)

    async def _send_edits(self, notifier: Notifier, chat: ChatRef, edits: list[Edit]) -> None:
        """Rewrite pushed messages whose story gained sources (``bot.core.edits``), at the
        chat's pace. A message that is gone, or past the platform's edit window, ends its
        edit for good; a 429 holds the chat's edits and rows until it passes."""
        pacer = self._pacers[chat.platform]
        window: timedelta | None = getattr(notifier, "edit_window", None)
        for i, edit in enumerate(edits):
            now = self._clock.now()
            blocked = self._rate_limited_until.get(chat)
            if blocked is not None and blocked > now:
                for later in edits[i:]:
                    await self._storage.retry_edit(later.id, blocked, "rate limited")
                return
            if window is not None and now - edit.sent_at > window:
                await self._storage.finish_edit(edit.id, now, error="past the edit window")
                continue
            await pacer.turn(chat)
            if self._stopping:
                return  # still claimed: due again after the lease (or at once on restart)
            failure = await self._paced(
                chat,
                notifier.edit_brief(
                    chat, edit.message_id, edit.brief, alert_terms=edit.alert_terms
                ),
                lambda _: self._storage.finish_edit(edit.id, self._clock.now()),  # noqa: B023
            )
            if failure is None:
                continue
            now = self._clock.now()
            if isinstance(failure, RateLimited):
                pacer.limited(chat, failure.retry_after, is_global=failure.is_global)
                at = now + timedelta(seconds=failure.retry_after)
                self._rate_limited_until[chat] = at
                await self._storage.retry_edit(edit.id, at, str(failure))
            elif isinstance(failure, MessageGone | ChatUnavailable | ChatMoved) or (
                edit.attempts + 1 >= self._max_attempts
            ):
                logger.info("edit %d of a brief in %s given up: %s", edit.id, chat, failure)
                await self._storage.finish_edit(edit.id, now, error=str(failure) or "gone")
            else:
                logger.warning("edit %d in %s failed: %s; retrying", edit.id, chat, failure)
                await self._storage.retry_edit(
                    edit.id, now + _backoff(edit.attempts + 1, 5.0), str(failure)
                )

    async def _paced(
        self,
        chat: ChatRef,
        send: Awaitable[_Sent],
        record: Callable[[_Sent], Awaitable[object]],
    ) -> DeliveryError | None:
        """``send`` (a coroutine not yet started) in the chat's pacing slot, its turn already
        taken; ``record`` stores the outcome while the slot is held, so a crash repeats at most
        the sends in flight. Returns the ``DeliveryError`` it failed with, else ``None``."""
        async with self._pacers[chat.platform].sending(chat):
            try:
                result = await send
            except DeliveryError as exc:
                return exc
            await record(result)
        return None

    # -- outcomes ---------------------------------------------------------------------------
    async def _handle_error(
        self, chat: ChatRef, row: Delivery, exc: DeliveryError, *, rows_in_batch: int
    ) -> datetime | None:
        """Record a failed send of ``row``; return until when the chat's other rows must wait
        (``None``: carry on with the next row)."""
        now = self._clock.now()
        if isinstance(exc, RateLimited):
            platform_wide = self._pacers[chat.platform].limited(
                chat, exc.retry_after, is_global=exc.is_global
            )
            if not platform_wide:
                logger.info("chat %s rate limited for %.1fs", chat, exc.retry_after)
            at = now + timedelta(seconds=exc.retry_after)
            self._rate_limited_until[chat] = at
            await self._storage.retry_delivery(row.id, at, str(exc))
            return at
        if isinstance(exc, ChatMoved):
            logger.info("chat %s moved to %s", chat, exc.new_chat)
            await self._storage.move_chat(chat, exc.new_chat)
            await self._storage.retry_delivery(row.id, now, str(exc))
            return now
        if isinstance(exc, ChatUnavailable):
            return await self._chat_unavailable(row, str(exc))
        await self._failed(row, str(exc))
        streak = self._error_streak.get(chat, 0) + 1
        self._error_streak[chat] = streak
        if streak >= 2 and rows_in_batch > 1:
            logger.warning("chat %s failing (%d errors in a row); backing off", chat, streak)
            return now + _backoff(streak, 5.0)
        return None

    async def _succeeded(self, chat: ChatRef, known_failures: int | None) -> None:
        """A send went through: the chat's failure counts start again from zero."""
        self._error_streak.pop(chat, None)
        if known_failures == 0:
            return
        settings = await self._storage.get_chat(chat)
        if settings.failures:
            await self._storage.save_chat(replace(settings, failures=0))

    async def _chat_unavailable(self, row: Delivery, error: str) -> datetime:
        settings = await self._storage.get_chat(row.chat)
        failures = settings.failures + 1
        available = failures < self._unavailable_after
        if not available:
            logger.warning("chat %s unavailable after %d failures: %s", row.chat, failures, error)
        await self._storage.save_chat(replace(settings, failures=failures, available=available))
        at = self._clock.now() + _backoff(failures, 30.0)
        await self._storage.retry_delivery(row.id, at, error)
        return at

    async def _failed(self, row: Delivery, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self._max_attempts:
            logger.error("giving up on delivery %d to %s: %s", row.id, row.chat, error)
            await self._storage.fail_delivery(row.id, error)
            return
        logger.warning("delivery %d to %s failed (%d): %s", row.id, row.chat, attempts, error)
        await self._storage.retry_delivery(
            row.id, self._clock.now() + _backoff(attempts, 5.0), error
        )

    # -- helpers ----------------------------------------------------------------------------
    async def _release(self, rows: Sequence[Delivery], at: datetime, reason: str) -> None:
        if rows:
            await self._storage.release_deliveries([r.id for r in rows], at, reason)

    def pacer(self, platform: Platform) -> Pacer | None:
        """The pacer of ``platform`` (for figures: rate, window, global limits)."""
        return self._pacers.get(platform)
