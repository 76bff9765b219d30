"""Who may see a feed, and which bot a database's chats belong to. Mixed into ``SqlStorage``.

Operator feeds (``feeds.yaml``, stored ``trusted``) are public. A feed a chat added by its URL
belongs to that chat (``feed_owners``); a second chat that submits the same URL shares the
one feed (one fetch per poll) and becomes an owner too. A chat sees the public feeds and its
own, nothing else: not in ``/feeds``, not by id, not in topic matches.

A chat id means something only to the bot that talks to it, so a database holds the chats of
one bot per platform (``bot_accounts``): the first bot to start claims the platform, and
``claim_bot`` tells a later, different bot whose database it is (the app then refuses to
start instead of sending one bot's chats through the other).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import StorageError
from bot.core.models import ChatRef, Platform
from bot.storage.base import StoreBase
from bot.storage.tables import BotAccountRow, ChatRow, FeedOwnerRow, FeedRow

_S = TypeVar("_S", bound=Select[Any])


def visible_to(query: _S, chat: ChatRef) -> _S:
    """``query`` over ``FeedRow`` narrowed to the feeds ``chat`` may see."""
    owned = (
        select(FeedOwnerRow.feed_id)
        .join(ChatRow, ChatRow.id == FeedOwnerRow.chat_pk)
        .where(
            ChatRow.platform == chat.platform.value,
            ChatRow.chat_id == chat.chat_id,
            ChatRow.thread_id == chat.thread_id,
        )
    )
    return query.where(or_(FeedRow.trusted.is_(True), FeedRow.id.in_(owned)))


class OwnersStore(StoreBase):
    """Feed owners and bot accounts; the concrete class provides transactions and chats."""

    async def _own(self, s: AsyncSession, feed: FeedRow, chat: ChatRef, now: datetime) -> None:
        """Make ``chat`` an owner of a chat-added feed (operator feeds need no owner)."""
        if feed.trusted:
            return
        chat_row = await self._chat_row(s, chat, create=True)
        assert chat_row is not None
        if await s.get(FeedOwnerRow, (feed.id, chat_row.id)) is None:
            s.add(FeedOwnerRow(feed_id=feed.id, chat_pk=chat_row.id, created_at=now))

    async def _move_owners(self, s: AsyncSession, old_pk: int, new_pk: int) -> None:
        """Give the feeds owned by chat row ``old_pk`` to ``new_pk`` too (a chat was re-keyed)."""
        have = set(
            await s.scalars(select(FeedOwnerRow.feed_id).where(FeedOwnerRow.chat_pk == new_pk))
        )
        for row in await s.scalars(select(FeedOwnerRow).where(FeedOwnerRow.chat_pk == old_pk)):
            if row.feed_id not in have:
                s.add(FeedOwnerRow(feed_id=row.feed_id, chat_pk=new_pk, created_at=row.created_at))

    async def claim_bot(self, platform: Platform, bot_id: str, now: datetime) -> str:
        """Record ``bot_id`` as the bot of ``platform``'s chats unless another bot was first.

        Returns the bot id the database's ``platform`` chats belong to: ``bot_id`` itself,
        or the id of the bot that claimed them earlier.
        """
        for attempt in range(2):
            try:
                async with self._tx() as s:
                    row = await s.get(BotAccountRow, platform.value)
                    if row is not None:
                        return row.bot_id
                    s.add(BotAccountRow(platform=platform.value, bot_id=bot_id, claimed_at=now))
                    return bot_id
            except StorageError as exc:
                # Two processes claimed at once: the loser reads the winner's row.
                if attempt or not isinstance(exc.__cause__, IntegrityError):
                    raise
        raise AssertionError("unreachable")
