"""Frozen value types shared by every part of newsbrief.

Everything that crosses a seam (adapter -> core, core -> storage, core -> notifier) is one of
these. They carry no behaviour beyond small derived properties, and no platform objects.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Platform(enum.StrEnum):
    """Where a chat lives."""

    TELEGRAM = "telegram"
    DISCORD = "discord"
    CONSOLE = "console"


@dataclass(frozen=True, order=True)
class ChatRef:
    """One place briefs are delivered to.

    ``thread_id`` is a Telegram forum topic or a Discord thread: a subscription made inside a
    topic delivers into that topic, so a topic is its own delivery target. Ids are strings so
    that every platform fits (Telegram ints, Discord snowflakes, console names).
    """

    platform: Platform
    chat_id: str
    thread_id: str = ""

    def __str__(self) -> str:
        suffix = f"/{self.thread_id}" if self.thread_id else ""
        return f"{self.platform.value}:{self.chat_id}{suffix}"


@dataclass(frozen=True)
class Feed:
    """A feed newsbrief polls: from the operator's ``feeds.yaml`` or added by a chat.

    Operator feeds are ``trusted`` (they may point at private addresses such as a local RSSHub);
    feeds added from chat are not, and their URLs go through the SSRF guard.
    """

    id: str
    url: str
    title: str
    topics: tuple[str, ...] = ()
    language: str = ""
    trusted: bool = True


@dataclass(frozen=True)
class FeedState:
    """What the poller remembers about a feed between polls."""

    feed_id: str
    etag: str | None = None
    last_modified: str | None = None
    next_poll_at: datetime | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    failures: int = 0
    last_error: str | None = None
    paused_reason: str | None = None
    primed: bool = False
    """True once the first poll stored the feed's entries (those are never pushed)."""
    interval_seconds: int | None = None
    """The adaptive poll interval last chosen for this feed (None: the operator's default)."""
    content_hash: str | None = None
    """SHA-256 of the last body parsed: a server that ignores conditional GET and sends the
    same bytes again gets treated as if it had answered 304 (no parse)."""


@dataclass(frozen=True)
class Story:
    """One entry of a feed, converted at the boundary into plain values.

    ``key`` identifies the story across feeds: the canonical link when there is one, else the
    guid. Two feeds that carry the same canonical link carry the same story.
    """

    feed_id: str
    key: str
    guid: str
    link: str
    title: str
    published: datetime
    summary: str = ""
    """Plain-text summary or teaser from the feed."""
    content_html: str = ""
    """Full content from the feed (content:encoded / atom:content) or the fetched article."""
    image_url: str = ""


@dataclass(frozen=True)
class Brief:
    """What a reader sees: the publisher's headline, a short summary, source, time and link."""

    id: int
    story_key: str
    feed_id: str
    title: str
    summary: str
    link: str
    source: str
    published: datetime
    image_url: str = ""
    also_sources: tuple[str, ...] = ()
    """Other publishers that carried the same story."""


@dataclass(frozen=True)
class Alert:
    """A keyword alert of one chat (``query`` in the alert syntax of ``core.alerts``)."""

    id: int
    chat: ChatRef
    query: str
    created_at: datetime


class DeliveryState(enum.StrEnum):
    """States of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Given up (retention passed or the brief is undeliverable); kept for the record."""


@dataclass(frozen=True)
class Delivery:
    """One outbox row: one brief to one chat."""

    id: int
    chat: ChatRef
    brief: Brief
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    alert_terms: tuple[str, ...] = ()
    """Alerts that matched when this delivery exists because of an alert."""


@dataclass(frozen=True)
class Edit:
    """One outbox edit row: rewrite a pushed brief's message (a later source joined its story)
    with the brief as it is now (``bot.core.edits``)."""

    id: int
    chat: ChatRef
    brief: Brief
    message_id: str
    """The platform's id of the message ``send_brief`` sent."""
    sent_at: datetime
    """When that message was sent (Telegram edits only within 48 hours)."""
    alert_terms: tuple[str, ...] = ()
    attempts: int = 0


@dataclass(frozen=True)
class Notice:
    """A plain notice queued for one chat (a feed was paused, the alert limit was reached);
    sent through the outbox's pacing and leases like a brief."""

    id: int
    chat: ChatRef
    text: str
    attempts: int = 0


class ReplyKind(enum.StrEnum):
    """How an adapter may style a reply."""

    OK = "ok"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class Document:
    """A file a reply carries (``/export``): its file name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Reply:
    """The neutral answer to a chat command; each adapter renders it its own way.

    ``text`` is plain text (adapters escape it). ``briefs`` are rendered as briefs below it,
    then ``related`` ones, each headline after ``bot.core.briefs.related_label()``.
    ``private`` asks the adapter to show the reply only to the caller where it can
    (Discord ephemeral messages).
    """

    text: str
    kind: ReplyKind = ReplyKind.OK
    briefs: tuple[Brief, ...] = ()
    private: bool = False
    related: tuple[Brief, ...] = ()
    """Briefs shown after ``briefs``, each marked as related by meaning (``/latest <words>``)."""
    choices: tuple[str, ...] = field(default=())
    """Suggested follow-up commands without arguments (for buttons), e.g. ``("/latest",)``."""
    document: Document | None = None
    """A file sent with the reply (the text becomes its caption where the platform has one)."""


@dataclass(frozen=True)
class ChatSettings:
    """Per-chat preferences. Times are local to ``timezone`` (an IANA name)."""

    chat: ChatRef
    timezone: str = "UTC"
    digest_times: tuple[str, ...] = ()
    """``HH:MM`` local times of the daily digests; empty means every story is pushed at once."""
    quiet_start: str | None = None
    quiet_end: str | None = None
    last_digest_at: datetime | None = None
    available: bool = True
    """False after the platform said the bot can no longer post there (blocked, kicked)."""
    failures: int = 0
    """Consecutive ``ChatUnavailable`` failures."""
    notice: str | None = None
    """A message for the chat's admins, shown once at their next command (e.g. why a
    subscription was disabled)."""
    importance: int = 1
    """Push a story once at least this many sources carry it (``/importance``); 1: at once."""
    language: str | None = None
    """The language the bot speaks here (``bot.core.i18n.LANGUAGES``); ``None``: English, until
    someone whose platform language is one of ours talks to the bot."""
