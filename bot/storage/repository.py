"""``SqlStorage``: the ``Storage`` port on SQLAlchemy 2 (asyncio), for SQLite and PostgreSQL.

Each public method is one transaction. Only portable SQLAlchemy constructs are used; the one
dialect-aware detail, ``FOR UPDATE SKIP LOCKED`` when claiming outbox rows and due feeds, is
rendered by SQLAlchemy on PostgreSQL and left out on SQLite (where a write transaction is
exclusive anyway).
Database errors are translated into ``StorageError`` at this edge.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, bindparam, delete, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.commands import REMOVED_FROM_CATALOGUE
from bot.core.errors import StorageError
from bot.core.models import (
    Alert,
    ChatRef,
    ChatSettings,
    Feed,
    FeedState,
    Platform,
)
from bot.storage.briefs import BriefStore, story_marks
from bot.storage.edits import EditStore
from bot.storage.health import HealthStore
from bot.storage.notices import NoticeStore
from bot.storage.outbox import OutboxStore
from bot.storage.owners import OwnersStore, visible_to
from bot.storage.search import SearchStore
from bot.storage.seen import SeenStore
from bot.storage.sentences import SentenceStore
from bot.storage.tables import (
    AlertRow,
    ChatRow,
    FeedAliasRow,
    FeedRow,
    OutboxRow,
    SubscriptionRow,
)

__all__ = ["SqlStorage", "story_marks"]

logger = logging.getLogger(__name__)
_SEP = "\n"
_DUE_BATCH = 500
STORY_LOCK = 0x6E62_0002
"""The PostgreSQL advisory lock key under which new briefs are stored (``nb`` + 2; migrations
use ``nb`` + 1)."""
CATALOGUE_LOCK = 0x6E62_0003
"""The advisory lock key under which a worker adds feeds (``nb`` + 3): the catalogue at start-up,
a chat's new feed (see ``_hold``)."""
_RELEASED: dict[str, object] = {"leased_until": None, "lease_owner": None}
"""Saving a feed's state ends the lease its poll held."""


def _split(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(_SEP) if t)


def _feed(row: FeedRow) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        title=row.title,
        topics=_split(row.topics),
        language=row.language,
        trusted=row.trusted,
    )


def _state(row: FeedRow) -> FeedState:
    return FeedState(
        feed_id=row.id,
        etag=row.etag,
        last_modified=row.last_modified,
        next_poll_at=row.next_poll_at,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        failures=row.failures,
        last_error=row.last_error,
        paused_reason=row.paused_reason,
        primed=row.primed,
        interval_seconds=row.interval_seconds,
        content_hash=row.content_hash,
    )


def _state_values(state: FeedState) -> dict[str, object]:
    """The ``feeds`` columns that hold ``state``."""
    return {
        "etag": state.etag,
        "last_modified": state.last_modified,
        "next_poll_at": state.next_poll_at,
        "last_polled_at": state.last_polled_at,
        "last_success_at": state.last_success_at,
        "failures": state.failures,
        "last_error": state.last_error,
        "paused_reason": state.paused_reason,
        "primed": state.primed,
        "interval_seconds": state.interval_seconds,
        "content_hash": state.content_hash,
    }


def _chat_ref(row: ChatRow) -> ChatRef:
    return ChatRef(Platform(row.platform), row.chat_id, row.thread_id)


def _settings(row: ChatRow) -> ChatSettings:
    return ChatSettings(
        chat=_chat_ref(row),
        timezone=row.timezone,
        digest_times=_split(row.digest_times),
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        last_digest_at=row.last_digest_at,
        available=row.available,
        failures=row.failures,
        notice=row.notice,
        importance=row.importance,
        language=row.language,
    )


class SqlStorage(
    OwnersStore,
    SeenStore,
    SearchStore,
    BriefStore,
    OutboxStore,
    NoticeStore,
    EditStore,
    SentenceStore,
    HealthStore,
):
    """The repository. Create it with ``bot.storage.open_storage`` (which migrates first)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def close(self) -> None:
        await self._engine.dispose()

    @property
    def single_writer(self) -> bool:
        """True for SQLite: one process owns the file, so rows it finds claimed at start-up
        were claimed by a run that died (see ``reclaim_deliveries``)."""
        return self._engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def story_lock(self) -> AsyncIterator[None]:
        """On PostgreSQL, a transaction holding the advisory lock ``STORY_LOCK`` for as long
        as the block runs (a worker that dies in it loses the lock with its connection). On
        SQLite nothing: one process writes the file, and the pipeline locks within it.
        One lock, not one per story: near-duplicates share no key, and new briefs are rare
        next to polls (most polls find nothing new)."""
        if self.single_writer:
            yield
            return
        async with self._tx() as s:
            await self._hold(s, STORY_LOCK)
            yield

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    # -- feeds -----------------------------------------------------------------------------
    async def sync_catalogue(self, feeds: Sequence[Feed]) -> None:
        async with self._tx() as s:
            await self._hold(s, CATALOGUE_LOCK)
            existing = {r.id: r for r in (await s.scalars(select(FeedRow))).all()}
            for feed in feeds:
                row = existing.get(feed.id)
                if row is None:
                    row = FeedRow(id=feed.id, failures=0, primed=False)
                    s.add(row)
                row.url, row.title, row.language = feed.url, feed.title, feed.language
                row.topics = _SEP.join(feed.topics)
                row.trusted, row.in_catalogue = True, True
                if row.paused_reason == REMOVED_FROM_CATALOGUE:
                    row.paused_reason = None
            listed = {f.id for f in feeds}
            for row in existing.values():
                if row.in_catalogue and row.id not in listed:
                    row.in_catalogue = False
                    row.paused_reason = row.paused_reason or REMOVED_FROM_CATALOGUE

    async def add_feed(
        self,
        feed: Feed,
        *,
        alias: str = "",
        owner: ChatRef | None = None,
        now: datetime | None = None,
    ) -> Feed:
        async with self._tx() as s:
            await self._hold(s, CATALOGUE_LOCK)
            row = await self._feed_row_by_url(s, feed.url) or await self._new_feed_row(s, feed)
            if alias and await self._feed_row_by_url(s, alias) is None:
                s.add(FeedAliasRow(url=alias, feed_id=row.id))
            if owner is not None:
                await self._own(s, row, owner, now or datetime.now(UTC))
            return _feed(row)

    async def _hold(self, s: AsyncSession, key: int) -> None:
        """On PostgreSQL, wait for the advisory lock ``key`` and hold it until the transaction
        of ``s`` ends (``CATALOGUE_LOCK``: a worker reads the feed rows only after any other
        worker adding feeds has written, else both insert the same new feed and one fails on
        its key). SQLite has one writer: nothing to do."""
        if not self.single_writer:
            await s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def _new_feed_row(self, s: AsyncSession, feed: Feed) -> FeedRow:
        """A new row for a chat-added feed, its id made unique with a number."""
        feed_id, n = feed.id, 1
        while await s.get(FeedRow, feed_id) is not None:
            n += 1
            feed_id = f"{feed.id[:60]}-{n}"
        row = FeedRow(
            id=feed_id,
            url=feed.url,
            title=feed.title,
            topics=_SEP.join(feed.topics),
            language=feed.language,
            trusted=feed.trusted,
            in_catalogue=False,
            failures=0,
            primed=False,
        )
        s.add(row)
        await s.flush()  # the alias row refers to it
        return row

    async def _feed_row_by_url(self, s: AsyncSession, url: str) -> FeedRow | None:
        row = await s.scalar(select(FeedRow).where(FeedRow.url == url))
        if row is None:
            alias = await s.get(FeedAliasRow, url)
            row = None if alias is None else await s.get(FeedRow, alias.feed_id)
        return row

    async def find_feed_by_url(self, url: str) -> Feed | None:
        async with self._tx() as s:
            row = await self._feed_row_by_url(s, url)
            return None if row is None else _feed(row)

    async def list_feeds(self, chat: ChatRef | None = None) -> list[Feed]:
        query = select(FeedRow).order_by(FeedRow.id)
        if chat is not None:
            query = visible_to(query, chat)
        async with self._tx() as s:
            return [_feed(r) for r in await s.scalars(query)]

    async def move_feed(self, feed_id: str, new_url: str) -> None:
        async with self._tx() as s:
            row = await s.get(FeedRow, feed_id)
            if row is None or row.url == new_url:
                return
            other = await s.scalar(select(FeedRow).where(FeedRow.url == new_url))
            if other is not None:
                logger.warning("feed %s moved to %s, already feed %s", feed_id, new_url, other.id)
                return
            if await s.get(FeedAliasRow, row.url) is None:
                s.add(FeedAliasRow(url=row.url, feed_id=feed_id))
            await s.execute(delete(FeedAliasRow).where(FeedAliasRow.url == new_url))
            row.url = new_url

    async def get_feed_state(self, feed_id: str) -> FeedState:
        async with self._tx() as s:
            row = await s.get(FeedRow, feed_id)
            return FeedState(feed_id) if row is None else _state(row)

    async def save_feed_state(self, state: FeedState) -> None:
        # One UPDATE statement, no ORM load: this runs once per poll.
        values = {**_state_values(state), **_RELEASED}
        changes = update(FeedRow).where(FeedRow.id == state.feed_id).values(values)
        async with self._tx() as s:
            result = await s.execute(changes.execution_options(synchronize_session=False))
            if not getattr(result, "rowcount", 0):
                raise StorageError(f"no feed {state.feed_id!r}")

    async def save_feed_states(self, states: Sequence[FeedState]) -> None:
        if not states:
            return
        table = cast(Table, FeedRow.__table__)
        # Core, not the ORM's bulk update: that one fails the batch when a row has gone.
        changes = update(table).where(table.c.id == bindparam("feed_key"))
        columns: dict[str, Any] = {name: bindparam(name) for name in _state_values(states[0])}
        rows = [{"feed_key": state.feed_id, **_state_values(state)} for state in states]
        async with self._tx() as s:
            await s.execute(changes.values({**columns, **_RELEASED}), rows)  # one executemany

    async def due_feeds(
        self, now: datetime, *, limit: int | None = None, lease_seconds: float | None = None
    ) -> list[tuple[Feed, FeedState]]:
        due = (
            select(FeedRow)
            .where(FeedRow.paused_reason.is_(None))
            .where(or_(FeedRow.next_poll_at.is_(None), FeedRow.next_poll_at <= now))
            .where(self._unleased(now))
            .order_by(FeedRow.next_poll_at.is_not(None), FeedRow.next_poll_at, FeedRow.id)
            .limit(limit)
        )
        if lease_seconds is not None:
            return await self._claim_feeds(due, now, lease_seconds)
        async with self._tx() as s:
            result = await s.stream_scalars(due.execution_options(yield_per=_DUE_BATCH))
            found: list[tuple[Feed, FeedState]] = []
            # In batches, each its own event-loop step: turning 10,000 rows into values at
            # once kept the loop busy for ~170 ms (bench/ingest.py).
            async for rows in result.partitions(_DUE_BATCH):
                found.extend((_feed(r), _state(r)) for r in rows)
            return found

    def _unleased(self, now: datetime) -> ColumnElement[bool]:
        """Feeds no worker polls now. On SQLite one process owns the file, so a lease held
        under another claim token is a dead run's (killed mid-poll): free at once."""
        free = or_(FeedRow.leased_until.is_(None), FeedRow.leased_until <= now)
        if self.single_writer:
            free = or_(free, FeedRow.lease_owner != self.claim_token)
        return free

    async def _claim_feeds(
        self, due: Select[FeedRow], now: datetime, lease_seconds: float
    ) -> list[tuple[Feed, FeedState]]:
        """Lease the feeds ``due`` selects to this storage object, in one UPDATE statement:
        on PostgreSQL the rows another worker is claiming at the same moment are skipped
        (``FOR UPDATE SKIP LOCKED``); on SQLite the statement holds the file's write lock."""
        # A CTE: PostgreSQL runs a locking one exactly once (a subquery may be run again).
        ids = due.with_only_columns(FeedRow.id).with_for_update(skip_locked=True).cte("due")
        claim = (
            update(FeedRow)
            .where(FeedRow.id.in_(select(ids.c.id)))
            .values(
                leased_until=now + timedelta(seconds=lease_seconds), lease_owner=self.claim_token
            )
            .returning(FeedRow)
            .execution_options(synchronize_session=False)
        )
        async with self._tx() as s:
            rows = list(await s.scalars(claim))
        rows.sort(key=lambda r: (r.next_poll_at is not None, r.next_poll_at or now, r.id))
        return [(_feed(r), _state(r)) for r in rows]

    async def release_feeds(self, feed_ids: Sequence[str]) -> None:
        if not feed_ids:
            return
        async with self._tx() as s:
            await s.execute(
                update(FeedRow)
                .where(FeedRow.id.in_(list(feed_ids)), FeedRow.lease_owner == self.claim_token)
                .values(_RELEASED)
                .execution_options(synchronize_session=False)
            )

    # -- chats and subscriptions -----------------------------------------------------------
    async def _chat_row(self, s: AsyncSession, chat: ChatRef, *, create: bool) -> ChatRow | None:
        row = await s.scalar(
            select(ChatRow).where(
                ChatRow.platform == chat.platform.value,
                ChatRow.chat_id == chat.chat_id,
                ChatRow.thread_id == chat.thread_id,
            )
        )
        if row is None and create:
            row = ChatRow(
                platform=chat.platform.value,
                chat_id=chat.chat_id,
                thread_id=chat.thread_id,
                timezone="UTC",
                digest_times="",
                available=True,
                failures=0,
                importance=1,
            )
            s.add(row)
            await s.flush()
        return row

    async def subscribe(self, chat: ChatRef, feed_ids: Sequence[str], now: datetime) -> list[str]:
        async with self._tx() as s:
            row = await self._chat_row(s, chat, create=True)
            assert row is not None
            have = set(
                await s.scalars(
                    select(SubscriptionRow.feed_id).where(SubscriptionRow.chat_pk == row.id)
                )
            )
            added = [f for f in dict.fromkeys(feed_ids) if f not in have]
            s.add_all(SubscriptionRow(chat_pk=row.id, feed_id=f, created_at=now) for f in added)
            return added

    async def unsubscribe(self, chat: ChatRef, feed_ids: Sequence[str] | None) -> list[str]:
        async with self._tx() as s:
            row = await self._chat_row(s, chat, create=False)
            if row is None:
                return []
            query = select(SubscriptionRow).where(SubscriptionRow.chat_pk == row.id)
            if feed_ids is not None:
                query = query.where(SubscriptionRow.feed_id.in_(list(feed_ids)))
            subs = list(await s.scalars(query))
            for sub in subs:
                await s.delete(sub)
            return sorted(sub.feed_id for sub in subs)

    async def subscriptions(self, chat: ChatRef) -> list[Feed]:
        async with self._tx() as s:
            rows = await s.scalars(
                select(FeedRow)
                .join(SubscriptionRow, SubscriptionRow.feed_id == FeedRow.id)
                .join(ChatRow, ChatRow.id == SubscriptionRow.chat_pk)
                .where(
                    ChatRow.platform == chat.platform.value,
                    ChatRow.chat_id == chat.chat_id,
                    ChatRow.thread_id == chat.thread_id,
                )
                .order_by(FeedRow.id)
            )
            return [_feed(r) for r in rows]

    async def subscribers(self, feed_id: str) -> list[ChatRef]:
        async with self._tx() as s:
            rows = await s.scalars(
                select(ChatRow)
                .join(SubscriptionRow, SubscriptionRow.chat_pk == ChatRow.id)
                .where(SubscriptionRow.feed_id == feed_id)
                .order_by(ChatRow.id)
            )
            return [_chat_ref(r) for r in rows]

    async def get_chat(self, chat: ChatRef) -> ChatSettings:
        async with self._tx() as s:
            row = await self._chat_row(s, chat, create=False)
            return ChatSettings(chat) if row is None else _settings(row)

    async def save_chat(self, settings: ChatSettings) -> None:
        async with self._tx() as s:
            row = await self._chat_row(s, settings.chat, create=True)
            assert row is not None
            row.timezone = settings.timezone
            row.digest_times = _SEP.join(settings.digest_times)
            row.quiet_start, row.quiet_end = settings.quiet_start, settings.quiet_end
            row.last_digest_at, row.available = settings.last_digest_at, settings.available
            row.failures, row.notice = settings.failures, settings.notice
            row.importance = settings.importance
            row.language = settings.language

    async def move_chat(self, old: ChatRef, new: ChatRef) -> None:
        async with self._tx() as s:
            row = await self._chat_row(s, old, create=False)
            if row is None:
                return
            target = await self._chat_row(s, new, create=False)
            if target is None:
                row.platform, row.chat_id = new.platform.value, new.chat_id
                row.thread_id = new.thread_id
                return
            # Both exist: fold the old chat's subscriptions, alerts and pending rows into new.
            have = set(
                await s.scalars(
                    select(SubscriptionRow.feed_id).where(SubscriptionRow.chat_pk == target.id)
                )
            )
            for sub in await s.scalars(
                select(SubscriptionRow).where(SubscriptionRow.chat_pk == row.id)
            ):
                if sub.feed_id not in have:
                    s.add(
                        SubscriptionRow(
                            chat_pk=target.id, feed_id=sub.feed_id, created_at=sub.created_at
                        )
                    )
            await self._move_owners(s, row.id, target.id)
            await s.execute(
                update(AlertRow).where(AlertRow.chat_pk == row.id).values(chat_pk=target.id)
            )
            queued = set(
                await s.scalars(select(OutboxRow.brief_id).where(OutboxRow.chat_pk == target.id))
            )
            await s.execute(
                delete(OutboxRow).where(
                    OutboxRow.chat_pk == row.id, OutboxRow.brief_id.in_(list(queued))
                )
            )
            await s.execute(
                update(OutboxRow).where(OutboxRow.chat_pk == row.id).values(chat_pk=target.id)
            )
            await s.delete(row)

    # -- alerts ----------------------------------------------------------------------------
    async def add_alert(self, chat: ChatRef, query: str, now: datetime) -> Alert:
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=True)
            assert chat_row is not None
            row = AlertRow(chat_pk=chat_row.id, query=query, created_at=now)
            s.add(row)
            await s.flush()
            return Alert(row.id, chat, query, now)

    async def alerts(self, chat: ChatRef | None = None) -> list[Alert]:
        async with self._tx() as s:
            query = select(AlertRow, ChatRow).join(ChatRow, ChatRow.id == AlertRow.chat_pk)
            if chat is not None:
                query = query.where(
                    ChatRow.platform == chat.platform.value,
                    ChatRow.chat_id == chat.chat_id,
                    ChatRow.thread_id == chat.thread_id,
                )
            rows = await s.execute(query.order_by(AlertRow.id))
            return [Alert(a.id, _chat_ref(c), a.query, a.created_at) for a, c in rows]

    async def remove_alert(self, chat: ChatRef, alert_id: int) -> bool:
        async with self._tx() as s:
            chat_row = await self._chat_row(s, chat, create=False)
            if chat_row is None:
                return False
            result = await s.execute(
                delete(AlertRow).where(AlertRow.id == alert_id, AlertRow.chat_pk == chat_row.id)
            )
            return bool(getattr(result, "rowcount", 0))
