"""Cheap queries for ``/readyz`` and the outbox gauge. Mixed into ``SqlStorage``."""

from __future__ import annotations

from sqlalchemy import func, select, text

from bot.core.models import DeliveryState
from bot.storage.base import StoreBase
from bot.storage.tables import OutboxRow


class HealthStore(StoreBase):
    """``ping`` and ``outbox_rows``; the concrete class provides transactions."""

    async def ping(self) -> None:
        """One round trip to the database; raises ``StorageError`` when it is unreachable."""
        async with self._tx() as s:
            await s.execute(text("SELECT 1"))

    async def outbox_rows(self) -> dict[str, int]:
        """Outbox rows by state (every state present, zero when there are none)."""
        counts = {state.value: 0 for state in DeliveryState}
        async with self._tx() as s:
            rows = await s.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))
            for state, count in rows:
                counts[state] = count
        return counts
