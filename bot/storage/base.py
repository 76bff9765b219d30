"""What the storage mixins rely on, declared once: ``SqlStorage`` (repository.py) provides the
transaction and the chat rows, and its sibling mixins the rest (``_briefs`` in briefs.py,
``_enqueue`` in outbox.py). Every mixin derives from ``StoreBase`` alone, never from another."""

from __future__ import annotations

import abc
import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import Brief, ChatRef
from bot.storage.tables import BriefRow, ChatRow


class StoreBase(abc.ABC):
    """A transaction per call and the row of a chat; each mixin adds queries on top."""

    _claim_token: str | None = None

    @property
    def claim_token(self) -> str:
        """This storage object's mark on the rows it claims (one per process)."""
        if self._claim_token is None:
            self._claim_token = uuid.uuid4().hex
        return self._claim_token

    @abc.abstractmethod
    def _tx(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    @abc.abstractmethod
    async def _chat_row(
        self, s: AsyncSession, chat: ChatRef, *, create: bool
    ) -> ChatRow | None: ...

    @abc.abstractmethod
    async def _briefs(
        self, s: AsyncSession, rows: Sequence[BriefRow], feeds: Collection[str] | None = None
    ) -> list[Brief]:
        """Briefs of ``rows`` (``BriefStore``)."""

    @abc.abstractmethod
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
        """Queue a brief for its chats in the transaction that stores it (``OutboxStore``)."""

    @abc.abstractmethod
    async def _queue_edits(self, s: AsyncSession, brief_id: int, now: datetime) -> None:
        """Arm an edit of every message that pushed ``brief_id`` (``EditStore``)."""
