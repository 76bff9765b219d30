"""Claiming rows of the outbox tables (briefs, notices, edits to chats): one rule for all.

A due row of an available chat is claimed by moving it to *sending* with a lease and the
claiming storage object's token; ``FOR UPDATE SKIP LOCKED`` keeps two PostgreSQL workers off
the same rows (SQLite ignores it: one writer). A retried row goes back to *pending* with its
attempt counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Update, select, update

from bot.core.models import DeliveryState
from bot.storage.tables import ChatRow, EditRow, NoticeRow, OutboxRow

Claimable = type[OutboxRow] | type[NoticeRow] | type[EditRow]
CLAIMABLE: tuple[Claimable, ...] = (OutboxRow, NoticeRow, EditRow)
OPEN = [DeliveryState.PENDING.value, DeliveryState.SENDING.value]


def due(table: Claimable, now: datetime, limit: int) -> Select[Any]:
    """The oldest ``limit`` rows of ``table`` due at ``now`` for chats that can receive."""
    return (
        select(table)
        .join(ChatRow, ChatRow.id == table.chat_pk)
        .where(ChatRow.available.is_(True))
        .where(table.state.in_(OPEN))
        .where(table.next_attempt_at <= now)
        .order_by(table.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=table)
    )


def take(
    rows: Iterable[OutboxRow | NoticeRow | EditRow], now: datetime, lease_seconds: float, token: str
) -> None:
    """Mark ``rows`` claimed by ``token`` until the lease ends."""
    lease_end = now + timedelta(seconds=lease_seconds)
    for row in rows:
        row.state = DeliveryState.SENDING.value
        row.next_attempt_at = lease_end
        row.claim_token = token


def finished(table: Claimable, row_ids: Sequence[int], now: datetime, error: str = "") -> Update:
    """Done: *sent* at ``now``, or *failed* with ``error`` (never sent); the attempt counted."""
    return (
        update(table)
        .where(table.id.in_(list(row_ids)))
        .values(
            state=(DeliveryState.FAILED if error else DeliveryState.SENT).value,
            sent_at=None if error else now,
            attempts=table.attempts + 1,
            last_error=error[:1000] or None,
        )
    )


def retried(table: Claimable, row_id: int, at: datetime, error: str) -> Update:
    """Back to *pending* at ``at``, the failed attempt counted and its error kept."""
    return (
        update(table)
        .where(table.id == row_id)
        .values(
            state=DeliveryState.PENDING.value,
            next_attempt_at=at,
            attempts=table.attempts + 1,
            last_error=error[:1000],
        )
    )


def released(table: Claimable, row_ids: Sequence[int], at: datetime, reason: str) -> Update:
    """Back to *pending* at ``at`` without counting an attempt (quiet hours, held back)."""
    return (
        update(table)
        .where(table.id.in_(list(row_ids)))
        .values(state=DeliveryState.PENDING.value, next_attempt_at=at, last_error=reason[:1000])
    )
