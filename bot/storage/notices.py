"""The notices half of the outbox: plain texts to one chat, with the outbox's state machine.

A notice (a feed was paused, the alert limit was reached) is a row here instead of a direct
send, so it goes through the same pacing, leases and crash rules as a brief: queued in one
transaction, claimed with a lease and this storage object's ``claim_token``, marked sent after
the send. A notice with a ``key`` is queued at most once per chat (``queue_notice`` returns
False for a second one), so a restart does not repeat it. Mixed into ``SqlStorage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from bot.core.models import ChatRef, DeliveryState, Notice, Platform
from bot.storage import claims
from bot.storage.base import StoreBase
from bot.storage.tables import ChatRow, NoticeRow


class NoticeStore(StoreBase):
    """Notice queries; the concrete class provides transactions and chats."""

    async def queue_notice(
        self, chat: ChatRef, text: str, now: datetime, *, key: str | None = None
    ) -> bool:
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=True)
            assert chat_row is not None
            if key is not None:
                known = await s.scalar(
                    select(NoticeRow.id).where(
                        NoticeRow.chat_pk == chat_row.id, NoticeRow.key == key
                    )
                )
                if known is not None:
                    return False
            s.add(
                NoticeRow(
                    chat_pk=chat_row.id,
                    text=text,
                    key=key,
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            return True

    async def claim_notices(self, now: datetime, limit: int, lease_seconds: float) -> list[Notice]:
        async with self._tx() as s:
            rows = list(await s.execute(claims.due(NoticeRow, now, limit).add_columns(ChatRow)))
            claims.take((notice for notice, _ in rows), now, lease_seconds, self.claim_token)
            return [
                Notice(
                    notice.id,
                    ChatRef(Platform(chat.platform), chat.chat_id, chat.thread_id),
                    notice.text,
                    notice.attempts,
                )
                for notice, chat in rows
            ]

    async def finish_notice(self, notice_id: int, now: datetime, *, error: str = "") -> None:
        async with self._tx() as s:
            await s.execute(claims.finished(NoticeRow, [notice_id], now, error))

    async def retry_notice(self, notice_id: int, at: datetime, error: str) -> None:
        async with self._tx() as s:
            await s.execute(claims.retried(NoticeRow, notice_id, at, error))

    async def release_notices(self, notice_ids: Sequence[int], at: datetime, reason: str) -> None:
        async with self._tx() as s:
            await s.execute(claims.released(NoticeRow, notice_ids, at, reason))

    async def pending_notices(self, chat: ChatRef) -> list[Notice]:
        """Notices of one chat not yet sent (pending or claimed), oldest first."""
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=False)
            if chat_row is None:
                return []
            rows = await s.scalars(
                select(NoticeRow)
                .where(NoticeRow.chat_pk == chat_row.id, NoticeRow.state.in_(claims.OPEN))
                .order_by(NoticeRow.id)
            )
            return [Notice(r.id, chat, r.text, r.attempts) for r in rows]
