"""The outbox half of ``SqlStorage``: one row per (brief, chat), and its state machine.

::

    pending --claim--> sending --mark_sent--> sent
       ^                  |  \\--fail_delivery / expire--> failed
       |                  |
       +---retry (attempt counted) / release (not counted: held back, quiet hours, digest)
       +---lease ran out (the process died mid-send): claimable again

Rows are written in the transaction that stores the brief (``_enqueue``), so a brief is never
stored without its deliveries. ``claim_deliveries`` moves due rows to *sending* with a lease
and this storage object's ``claim_token``; the deliverer records every outcome as it goes, so
after a crash only the rows whose send was in flight can be sent twice. ``renew_claims``
extends the lease of the rows this object still holds (a chat's queue may take longer than a
lease at the chat's pace), and ``release_claims`` makes them due at once (after a round that
lost the database), touching no other process's claims. Mixed into ``SqlStorage``
(``repository.py``); notices (``notices.py``) follow the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import importance
from bot.core.models import ChatRef, Delivery, DeliveryState, Platform
from bot.storage import claims
from bot.storage.base import StoreBase
from bot.storage.tables import BriefRow, BriefSourceRow, ChatRow, OutboxRow, SubscriptionRow

_SEP = "\n"
_OPEN = claims.OPEN
_DONE = [DeliveryState.SENT.value, DeliveryState.FAILED.value]


class OutboxStore(StoreBase):
    """Outbox queries; the concrete class provides transactions, chats and briefs."""

    async def _enqueue(
        self,
        s: AsyncSession,
        brief_id: int,
        feed_id: str,
        alerts: Mapping[ChatRef, Sequence[str]],
        now: datetime,
        *,
        recent: bool = True,
    ) -> None:
        """Queue ``brief_id`` for the alerted chats and for the subscribers of its sources that
        ``importance.queue_now`` names (once each): the feed's that just joined, and those of
        earlier sources whose ``/importance`` this join reaches."""
        sources = list(
            await s.scalars(
                select(BriefSourceRow.feed_id).where(BriefSourceRow.brief_id == brief_id)
            )
        )
        subscribers = await s.execute(
            select(SubscriptionRow.chat_pk, ChatRow.importance, ChatRow.digest_times)
            .join(ChatRow, ChatRow.id == SubscriptionRow.chat_pk)
            .where(SubscriptionRow.feed_id.in_(sources))
            .where(or_(SubscriptionRow.feed_id == feed_id, ChatRow.importance == len(sources)))
            .distinct()
        )
        joined = set(
            await s.scalars(
                select(SubscriptionRow.chat_pk).where(SubscriptionRow.feed_id == feed_id)
            )
        )
        targets: dict[int, str] = {
            pk: ""
            for pk, n, digest in subscribers
            if importance.queue_now(
                n, digest=bool(digest), sources=len(sources), joined=pk in joined, recent=recent
            )
        }
        for chat, terms in alerts.items():
            chat_row = await self._chat_row(s, chat, create=True)
            assert chat_row is not None
            targets[chat_row.id] = _SEP.join(terms)
        if not targets:
            return
        queued = set(
            await s.scalars(
                select(OutboxRow.chat_pk).where(
                    OutboxRow.brief_id == brief_id, OutboxRow.chat_pk.in_(list(targets))
                )
            )
        )
        s.add_all(
            OutboxRow(
                brief_id=brief_id,
                chat_pk=pk,
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                alert_terms=terms,
                created_at=now,
                batched=False,
            )
            for pk, terms in targets.items()
            if pk not in queued
        )

    async def _deliveries(self, s: AsyncSession, rows: Sequence[OutboxRow]) -> list[Delivery]:
        chats = {
            c.id: ChatRef(Platform(c.platform), c.chat_id, c.thread_id)
            for c in await s.scalars(
                select(ChatRow).where(ChatRow.id.in_({r.chat_pk for r in rows}))
            )
        }
        brief_rows = list(
            await s.scalars(select(BriefRow).where(BriefRow.id.in_({r.brief_id for r in rows})))
        )
        briefs = {b.id: b for b in await self._briefs(s, brief_rows)}
        return [
            Delivery(
                id=row.id,
                chat=chats[row.chat_pk],
                brief=briefs[row.brief_id],
                state=DeliveryState(row.state),
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                alert_terms=tuple(t for t in row.alert_terms.split(_SEP) if t),
            )
            for row in rows
        ]

    async def claim_deliveries(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        async with self._tx() as s:
            rows: list[OutboxRow] = list(await s.scalars(claims.due(OutboxRow, now, limit)))
            claims.take(rows, now, lease_seconds, self.claim_token)
            await s.flush()
            return await self._deliveries(s, rows)

    async def renew_claims(self, now: datetime, lease_seconds: float) -> int:
        until = now + timedelta(seconds=lease_seconds)
        return await self._update_sending({"next_attempt_at": until}, mine=True, due_before=until)

    async def release_claims(self, now: datetime) -> int:
        values = {"state": DeliveryState.PENDING.value, "next_attempt_at": now}
        return await self._update_sending(values, mine=True)

    async def reclaim_deliveries(self, now: datetime) -> int:
        return await self._update_sending({"next_attempt_at": now}, mine=False)

    async def _update_sending(
        self, values: dict[str, object], *, mine: bool, due_before: datetime | None = None
    ) -> int:
        """Set ``values`` on the rows being sent in every outbox table (only this storage
        object's claims with ``mine``; only those due before ``due_before``); how many."""
        async with self._tx() as s:
            changed = 0
            for table in claims.CLAIMABLE:
                rows = update(table).where(table.state == DeliveryState.SENDING.value)
                if mine:
                    rows = rows.where(table.claim_token == self.claim_token)
                if due_before is not None:
                    rows = rows.where(table.next_attempt_at < due_before)
                result = await s.execute(rows.values(values))
                changed += int(getattr(result, "rowcount", 0) or 0)
            return changed

    async def mark_sent(
        self, delivery_id: int, now: datetime, *, message_id: str | None = None
    ) -> None:
        await self._mark_sent([delivery_id], now, batched=False, message_id=message_id)

    async def mark_sent_many(
        self, delivery_ids: Sequence[int], now: datetime, *, batched: bool
    ) -> None:
        await self._mark_sent(delivery_ids, now, batched=batched)

    async def _mark_sent(
        self,
        delivery_ids: Sequence[int],
        now: datetime,
        *,
        batched: bool,
        message_id: str | None = None,
    ) -> None:
        async with self._tx() as s:
            await s.execute(
                claims.finished(OutboxRow, delivery_ids, now).values(
                    batched=batched, message_id=message_id[:64] if message_id else None
                )
            )

    async def retry_delivery(self, delivery_id: int, at: datetime, error: str) -> None:
        async with self._tx() as s:
            await s.execute(claims.retried(OutboxRow, delivery_id, at, error))

    async def release_deliveries(
        self, delivery_ids: Sequence[int], at: datetime, reason: str
    ) -> None:
        async with self._tx() as s:
            await s.execute(claims.released(OutboxRow, delivery_ids, at, reason))

    async def fail_delivery(self, delivery_id: int, error: str) -> None:
        async with self._tx() as s:
            await s.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery_id)
                .values(state=DeliveryState.FAILED.value, last_error=error[:1000])
            )

    async def reschedule_pending(self, chat: ChatRef, at: datetime) -> int:
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=False)
            if chat_row is None:
                return 0
            result = await s.execute(
                update(OutboxRow)
                .where(OutboxRow.chat_pk == chat_row.id)
                .where(OutboxRow.state == DeliveryState.PENDING.value)
                .where(OutboxRow.next_attempt_at > at)
                .values(next_attempt_at=at)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def alert_sends(self, chat: ChatRef, since: datetime) -> list[datetime]:
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=False)
            if chat_row is None:
                return []
            # Rows sent together (one digest) share their ``sent_at``: one message each.
            times = await s.scalars(
                select(OutboxRow.sent_at)
                .distinct()
                .where(OutboxRow.chat_pk == chat_row.id)
                .where(OutboxRow.state == DeliveryState.SENT.value)
                .where(OutboxRow.alert_terms != "")
                .where(OutboxRow.sent_at > since)
                .order_by(OutboxRow.sent_at)
            )
            return [t for t in times if t is not None]

    async def expire_deliveries(self, created_before: datetime, reason: str) -> int:
        async with self._tx() as s:
            result = await s.execute(
                update(OutboxRow)
                .where(OutboxRow.state.in_(_OPEN))
                .where(OutboxRow.created_at < created_before)
                .values(state=DeliveryState.FAILED.value, last_error=reason[:1000])
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def purge_deliveries(self, finished_before: datetime) -> int:
        async with self._tx() as s:
            purged = 0
            for table in claims.CLAIMABLE:
                result = await s.execute(
                    delete(table)
                    .where(table.state.in_(_DONE))
                    .where(
                        or_(
                            table.sent_at < finished_before,
                            table.sent_at.is_(None) & (table.created_at < finished_before),
                        )
                    )
                )
                purged += int(getattr(result, "rowcount", 0) or 0)
            return purged
