"""What every storage mixin relies on, declared once; ``SqlStorage`` (repository.py) has it."""

from __future__ import annotations

import abc
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import ChatRef
from bot.storage.tables import ChatRow


class StoreBase(abc.ABC):
    """A transaction per call and the row of a chat; each mixin adds queries on top."""

    @abc.abstractmethod
    def _tx(self) -> AbstractAsyncContextManager[AsyncSession]: ...

    @abc.abstractmethod
    async def _chat_row(
        self, s: AsyncSession, chat: ChatRef, *, create: bool
    ) -> ChatRow | None: ...
