"""The edits half of the outbox: rewriting pushed briefs as later sources join (``bot.core.edits``).

``queue_edits`` runs in the transaction that records a new source of a brief: each message
that pushed it (a sent, unbatched outbox row with a ``message_id``) gets its edit row armed,
due ``EDIT_GAP`` after the message's last write; a row already waiting is left as it is (the
later source shares it). Edit rows are claimed, leased, renewed, released and purged like the
other outbox rows (``claims.CLAIMABLE``). Mixed into ``OutboxStore``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.edits import edit_due
from bot.core.models import ChatRef, DeliveryState, Edit, Platform
from bot.storage import claims
from bot.storage.base import StoreBase
from bot.storage.tables import BriefRow, ChatRow, EditRow, OutboxRow

_SEP = "\n"


class EditStore(StoreBase):
    """Edit queries; the concrete class provides transactions and briefs."""

    async def _queue_edits(self, s: AsyncSession, brief_id: int, now: datetime) -> None:
        """Arm an edit of every message that pushed ``brief_id`` (see the module docstring)."""
        sent = list(
            await s.scalars(
                select(OutboxRow)
                .where(OutboxRow.brief_id == brief_id)
                .where(OutboxRow.state == DeliveryState.SENT.value)
                .where(OutboxRow.message_id.is_not(None))
                .where(OutboxRow.batched.is_(False))
            )
        )
        if not sent:
            return
        known = {
            e.outbox_id: e
            for e in await s.scalars(
                select(EditRow).where(EditRow.outbox_id.in_([r.id for r in sent]))
            )
        }
        for row in sent:
            armed = known.get(row.id)
            if armed is None:
                s.add(
                    EditRow(
                        outbox_id=row.id,
                        chat_pk=row.chat_pk,
                        state=DeliveryState.PENDING.value,
                        attempts=0,
                        next_attempt_at=edit_due(now, row.sent_at or now),
                        created_at=now,
                    )
                )
            elif armed.state == DeliveryState.SENT.value:
                armed.state, armed.attempts = DeliveryState.PENDING.value, 0
                armed.next_attempt_at = edit_due(now, armed.sent_at or now)
            # pending or sending: that edit will show this source too; failed: the message
            # is gone.

    async def claim_edits(self, now: datetime, limit: int, lease_seconds: float) -> list[Edit]:
        async with self._tx() as s:
            found = list(
                await s.execute(
                    claims.due(EditRow, now, limit)
                    .add_columns(OutboxRow, ChatRow)
                    .join(OutboxRow, OutboxRow.id == EditRow.outbox_id)
                )
            )
            claims.take((e for e, _, _ in found), now, lease_seconds, self.claim_token)
            await s.flush()
            brief_rows = list(
                await s.scalars(
                    select(BriefRow).where(BriefRow.id.in_({o.brief_id for _, o, _ in found}))
                )
            )
            briefs = {b.id: b for b in await self._briefs(s, brief_rows)}
            return [
                Edit(
                    id=e.id,
                    chat=ChatRef(Platform(c.platform), c.chat_id, c.thread_id),
                    brief=briefs[o.brief_id],
                    message_id=o.message_id or "",
                    sent_at=o.sent_at or now,
                    alert_terms=tuple(t for t in o.alert_terms.split(_SEP) if t),
                    attempts=e.attempts,
                )
                for e, o, c in found
            ]

    async def finish_edit(self, edit_id: int, now: datetime, *, error: str = "") -> None:
        async with self._tx() as s:
            await s.execute(claims.finished(EditRow, [edit_id], now, error))

    async def retry_edit(self, edit_id: int, at: datetime, error: str) -> None:
        async with self._tx() as s:
            await s.execute(claims.retried(EditRow, edit_id, at, error))
