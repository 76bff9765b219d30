"""SQLAlchemy 2 table models. Portable SQL only: the same schema runs on SQLite and PostgreSQL.

Times are stored as naive UTC (``UTCDateTime``) and come back timezone-aware, because SQLite has
no time-zone type. Lists (topics, digest times, alert terms) are stored as text joined by ``\\n``
so they need no dialect-specific array or JSON type.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime, stored naive."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class FeedRow(Base):
    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    topics: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    trusted: Mapped[bool] = mapped_column(Boolean, default=True)
    in_catalogue: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    primed: Mapped[bool] = mapped_column(Boolean, default=False)
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """While set and in the future, the feed is being polled by ``lease_owner`` (a worker's
    storage token) and no other worker takes it; saving the poll's state clears both."""
    lease_owner: Mapped[str | None] = mapped_column(String(32))


class FeedAliasRow(Base):
    """A former URL of a feed (after a permanent redirect)."""

    __tablename__ = "feed_aliases"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)


class ChatRow(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "thread_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_times: Mapped[str] = mapped_column(Text, default="")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    notice: Mapped[str | None] = mapped_column(Text)
    importance: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """Push a story once this many sources carry it (``bot.core.importance``)."""
    language: Mapped[str | None] = mapped_column(String(8))


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    chat_pk: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[str] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedOwnerRow(Base):
    """A chat that added a feed by its URL: chat-added feeds are visible only to their owners
    (operator feeds, ``trusted``, are visible to every chat)."""

    __tablename__ = "feed_owners"

    feed_id: Mapped[str] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    chat_pk: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BotAccountRow(Base):
    """The bot account whose chats a database holds, one per platform (a chat id means
    something only to the bot it talks to; see ``Storage.claim_bot``)."""

    __tablename__ = "bot_accounts"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BriefRow(Base):
    """A story and its brief: one row per story, shared by every feed and chat."""

    __tablename__ = "briefs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    story_key: Mapped[str] = mapped_column(String(2048), unique=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(2048))
    published: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    image_url: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Headline and summary as word tokens (``bot.core.alerts.normalize``): what ``/latest
    <words>`` searches. Full-text indexed by migration 0007 (PostgreSQL: a GIN index on its
    ``to_tsvector('simple', ...)``; SQLite: the FTS5 table ``briefs_fts``), outside this model."""
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    """MiniLM vector of headline + lead, int8 (``bot.core.search.pack``); ``None`` until the
    pipeline embedded it (or when the deduper is off)."""


class BriefSourceRow(Base):
    """A feed that carried a story (the first one and every later one)."""

    __tablename__ = "brief_sources"

    brief_id: Mapped[int] = mapped_column(
        ForeignKey("briefs.id", ondelete="CASCADE"), primary_key=True
    )
    feed_id: Mapped[str] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoryMarkRow(Base):
    """An identifier (guid, canonical link, title hash) a feed has carried: for dedup."""

    __tablename__ = "story_marks"

    feed_id: Mapped[str] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    mark: Mapped[str] = mapped_column(String(2100), primary_key=True, index=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("briefs.id", ondelete="CASCADE"))


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """One brief to one chat: the unit of delivery, written with the brief."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("brief_id", "chat_pk"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("briefs.id", ondelete="CASCADE"))
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    alert_terms: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    batched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Sent inside a digest (coalesced or scheduled) rather than as its own message."""
    claim_token: Mapped[str | None] = mapped_column(String(32))
    """Which storage object (process) claimed the row last: its leases are renewed and, after
    a failed round, released by that process only."""
    message_id: Mapped[str | None] = mapped_column(String(64))
    """The platform's id of the message that pushed it (for edits when sources join)."""


class EditRow(Base):
    """An edit of a pushed brief's message, queued when a later source joined its story
    (``bot.core.edits``); one per sent outbox row, re-armed for each later join."""

    __tablename__ = "edits"
    __table_args__ = (Index("ix_edits_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), unique=True)
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the last edit went out."""


class NoticeRow(Base):
    """A notice to a chat (a feed was paused, the alert limit was reached): sent through the
    outbox's pacing and leases like a brief, so a crash neither loses nor repeats it."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("chat_pk", "key"),
        Index("ix_notices_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str | None] = mapped_column(String(128))
    """Set for a notice that must be queued once (e.g. one alert-limit notice per window)."""
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SourceSentenceRow(Base):
    """A sentence a story of a feed carried (both hashed): for learning publisher furniture.

    A sentence carried by three stories of one feed within 30 days is that feed's furniture
    (``bot.furniture``). Rows older than 30 days are pruned.
    """

    __tablename__ = "source_sentences"

    feed_id: Mapped[str] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    sentence_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    story_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
