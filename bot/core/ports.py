"""The seams of newsbrief: what the core needs from the outside world.

The core (``commands``, ``pipeline``, ``delivery``) is written against these Protocols only.
Adapters implement them: ``bot.storage`` (Storage), ``bot.feeds`` (FeedSource),
``bot.briefing`` (Summarizer), ``bot.adapters.*`` (ChatAdapter and its Notifier). Tests use
in-memory fakes; ``tests/adapter_contract.py`` holds every chat adapter to ``ChatAdapter``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from bot.core.alerts import Query
from bot.core.models import (
    Alert,
    Brief,
    ChatRef,
    ChatSettings,
    Delivery,
    Edit,
    Feed,
    FeedState,
    Notice,
    Platform,
    Story,
)


class Clock(Protocol):
    """Source of the current time (timezone-aware UTC)."""

    def now(self) -> datetime: ...


class Upload(Protocol):
    """A file a user attached to a command (a Telegram document, a Discord attachment)."""

    @property
    def name(self) -> str:
        """Its file name as the user sent it (may be empty)."""
        ...

    @property
    def size(self) -> int | None:
        """Its size in bytes as the platform states it before any download (None: unknown)."""
        ...

    async def read(self) -> bytes:
        """Download it (the platform may refuse: ``UserInputError`` says why)."""
        ...


ShowProgress = Callable[[str], Awaitable[None]]
"""Shows a progress line in the chat: the first call sends a message, later ones edit it.
Never raises: an edit the platform refuses is logged and skipped."""


class SystemClock:
    """The real clock (UTC); tests pass a fixed one instead."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one successful poll of a feed.

    ``stories`` is empty when the server answered 304 (``not_modified``). ``moved_to`` is set
    when a permanent redirect (301/308) led to a new URL. ``min_interval_seconds`` is the
    shortest re-poll interval the feed asked for (``<ttl>``, ``Cache-Control: max-age``,
    ``Expires``, ``sy:updatePeriod``), if any. A 200 whose body is byte-identical to the last
    one parsed (``FeedState.content_hash``) is reported as ``not_modified`` too.
    """

    not_modified: bool
    stories: tuple[Story, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    min_interval_seconds: int | None = None
    content_hash: str | None = None
    """SHA-256 of the body (None for a 304)."""
    entries_dropped: int = 0
    """Entries of the document past the most a poll reads (``stories`` holds the first)."""


class FeedSource(Protocol):
    """Fetches and parses feeds and articles. Raises ``FeedError`` subclasses."""

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        """Poll ``feed`` with a conditional GET based on ``state``."""
        ...

    async def resolve(self, url: str) -> Feed:
        """Check a URL typed in chat and return the feed it leads to (not yet stored).

        Applies the SSRF guard (untrusted), follows feed discovery for web pages, and fetches
        the feed once to prove it parses. The returned feed's ``id`` is a readable slug.
        """
        ...

    async def enrich(self, story: Story) -> Story:
        """Return ``story`` with the article's full text when the feed carried only a teaser."""
        ...


@dataclass(frozen=True)
class Summarised:
    """A cleaned headline and its summary."""

    title: str
    summary: str


class Summarizer(Protocol):
    """Turns stories into headline + summary. Never blocks the event loop."""

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        """One result per story, same order."""
        ...


@dataclass(frozen=True)
class Pace:
    """How fast a platform accepts messages: the delivery loop keeps under these."""

    per_chat_interval: float = 1.0
    """Seconds between two messages to one chat."""
    per_second: float = 30.0
    """Messages per second across all chats of the platform."""
    chat_interval: Callable[[ChatRef], float] | None = None
    """Seconds between two messages to this chat, when chats differ (Telegram groups: 3.0);
    ``None``: ``per_chat_interval`` for every chat."""

    def interval(self, chat: ChatRef) -> float:
        """Seconds between two messages to ``chat``."""
        if self.chat_interval is None:
            return self.per_chat_interval
        return self.chat_interval(chat)


@runtime_checkable
class Notifier(Protocol):
    """Sends to the chats of one platform.

    Every method raises ``RateLimited``, ``ChatUnavailable``, ``ChatMoved`` or
    ``DeliveryError``; nothing else escapes.
    """

    platform: Platform
    pace: Pace

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> str | None:
        """Deliver one brief (prefixed with the alerts that matched, if any); returns the
        platform's message id when the message can be edited later (``edit_brief``)."""
        ...

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        """Rewrite a message ``send_brief`` sent with the brief as it is now (its footer names
        the sources that joined). Raises ``MessageGone`` when the message no longer exists or
        can no longer be edited."""
        ...

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        """Deliver several briefs as one digest message (split at story boundaries)."""
        ...

    async def send_text(self, chat: ChatRef, text: str) -> None:
        """Deliver a plain notice (a feed was paused, a subscription was disabled)."""
        ...


@runtime_checkable
class ChatAdapter(Protocol):
    """A chat platform (Telegram, Discord, the console): commands in, messages out.

    Its duties, the same on every platform:

    - **Commands.** Turn each command into a ``Call`` of the core's table: a typed line through
      ``command_parse.parse``, typed options and buttons through ``bind`` (never re-stringed).
      Before running it, refuse it in the platform's words when ``Call.needs_admin`` holds and
      the caller does not administer the chat; ask the platform for membership only then (and
      when a notice waits). Run every command through ``Commands.run``, which also *touches*
      the chat: a chat disabled after refused deliveries receives again as soon as it talks to
      the bot. When the platform reports the bot back in a chat (re-added, unblocked), call
      ``Commands.touch``. Render the neutral ``Reply`` in the platform's format.
    - **Notices.** Show the chat's pending notice to its administrators once (``Answer.notice``
      when ``Commands.run`` gets an ``admin`` check, or ``Commands.take_notice``); leave one
      (``Commands.leave_notice``) when a refused delivery has a fix an administrator can make.
    - **One last-resort error handler.** Whatever a command raises is logged once, with its
      traceback, and the user gets one polite answer: never a traceback, never an internal id.
    - **Errors at the edge.** ``notifier`` raises only ``RateLimited`` (wait, nothing lost),
      ``ChatUnavailable`` (the chat refuses the bot), ``ChatMoved`` (the chat has a new id) or
      ``DeliveryError`` (anything else, retried): each SDK error is mapped ``from`` its cause.
    - **Life cycle.** ``start`` returns once commands are being served (raising ``ConfigError``
      for settings the platform refuses); ``stop`` undoes it, finishing the commands under way;
      ``ready`` says whether it is connected now (``/readyz``).
    """

    @property
    def notifier(self) -> Notifier:
        """Where the delivery loop sends this platform's briefs, digests and notices."""
        ...

    @property
    def ready(self) -> bool:
        """Connected to its platform (``/readyz``)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Storage(Protocol):
    """Everything newsbrief persists. Each method is one transaction."""

    # -- lifecycle -------------------------------------------------------------------------
    async def close(self) -> None: ...

    # -- feeds -----------------------------------------------------------------------------
    async def sync_catalogue(self, feeds: Sequence[Feed]) -> None:
        """Insert or update the operator's feeds (chat-added feeds are left alone)."""
        ...

    async def add_feed(
        self,
        feed: Feed,
        *,
        alias: str = "",
        owner: ChatRef | None = None,
        now: datetime | None = None,
    ) -> Feed:
        """Store a chat-added feed; returns the stored feed with the same URL if there is one.

        ``alias``: the address the chat typed when it led to this feed (a web page advertising
        it), kept so that ``find_feed_by_url(alias)`` finds the feed too. ``owner``: the chat
        that submitted the URL; it becomes an owner (at ``now``) of the feed, new or already
        stored, unless the feed is an operator (trusted) one, which every chat sees anyway.
        """
        ...

    async def find_feed_by_url(self, url: str) -> Feed | None:
        """The feed whose current URL, or a former URL kept as an alias, is ``url``."""
        ...

    async def list_feeds(self, chat: ChatRef | None = None) -> list[Feed]:
        """Every feed by id; with ``chat``, only those it may see: the operator's (trusted)
        feeds and the chat-added feeds it owns."""
        ...

    async def move_feed(self, feed_id: str, new_url: str) -> None:
        """Change a feed's URL after a permanent redirect, keeping the old one as an alias."""
        ...

    async def get_feed_state(self, feed_id: str) -> FeedState: ...

    async def save_feed_state(self, state: FeedState) -> None: ...

    async def save_feed_states(self, states: Sequence[FeedState]) -> None:
        """Save many feed states in one transaction (feeds that no longer exist are skipped):
        the pipeline batches the bookkeeping of unchanged (304) feeds this way."""
        ...

    async def due_feeds(
        self, now: datetime, *, limit: int | None = None, lease_seconds: float | None = None
    ) -> list[tuple[Feed, FeedState]]:
        """Feeds that are not paused, whose next poll time has come (or was never set) and
        that no worker holds a lease on, most overdue first (at most ``limit``).

        With ``lease_seconds`` the feeds are claimed: leased to this storage object until
        ``now + lease_seconds``, so that no other worker (process) on the database gets
        them meanwhile; two workers claiming at once never get the same feed. Saving a
        feed's state (``save_feed_state``, ``save_feed_states``) ends its lease; the lease of
        a worker that died runs out and the feed is due for the others again.
        """
        ...

    async def release_feeds(self, feed_ids: Sequence[str]) -> None:
        """End this storage object's leases on these feeds without saving a state (claimed
        but not polled: shutting down, or the poll's outcome could not be saved)."""
        ...

    # -- chats and subscriptions -----------------------------------------------------------
    async def subscribe(self, chat: ChatRef, feed_ids: Sequence[str], now: datetime) -> list[str]:
        """Subscribe; returns the ids that were not subscribed before."""
        ...

    async def unsubscribe(self, chat: ChatRef, feed_ids: Sequence[str] | None) -> list[str]:
        """Unsubscribe from ``feed_ids`` (``None``: all); returns the ids removed."""
        ...

    async def subscriptions(self, chat: ChatRef) -> list[Feed]: ...

    async def subscribers(self, feed_id: str) -> list[ChatRef]: ...

    async def get_chat(self, chat: ChatRef) -> ChatSettings:
        """The chat's settings (defaults for a chat never seen)."""
        ...

    async def save_chat(self, settings: ChatSettings) -> None: ...

    async def move_chat(self, old: ChatRef, new: ChatRef) -> None:
        """Re-key a chat (and its subscriptions, owned feeds, alerts, outbox rows) to a new id."""
        ...

    async def claim_bot(self, platform: Platform, bot_id: str, now: datetime) -> str:
        """Make the database's ``platform`` chats those of bot ``bot_id``, unless another bot
        claimed them first; returns the id of the bot they belong to."""
        ...

    # -- stories and briefs ----------------------------------------------------------------
    async def unseen(self, feed_id: str, stories: Sequence[Story]) -> list[Story]:
        """The stories this feed has not carried before (by guid, link or title)."""
        ...

    async def brief_for_story(self, story_key: str) -> Brief | None:
        """The brief already made for this story by any feed, if any."""
        ...

    async def record_story(
        self,
        story: Story,
        text: Summarised | None,
        now: datetime,
        *,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]] | None = None,
    ) -> Brief:
        """Store a story seen in ``story.feed_id`` and queue its deliveries, atomically.

        ``text`` is the new brief's headline and summary; ``None`` when a brief for
        ``story.key`` already exists (another feed carried it first): then this feed is added to
        its sources. With ``deliver``, one outbox row is written per subscriber of the feed
        (and per chat in ``alerts``, with the alert terms that matched) unless that chat already
        has a row for this brief.
        """
        ...

    async def record_seen(self, items: Sequence[tuple[Story, Summarised]], now: datetime) -> None:
        """Store many stories, none delivered, in one transaction: what ``record_story(story,
        text, now, deliver=False)`` for each pair in turn would leave, but without a
        transaction per story (the entries of a flood poll past the most pushed, hundreds at
        a time). A story whose key already has a brief joins it as ``record_story`` does."""
        ...

    async def add_source(
        self,
        story: Story,
        brief_id: int,
        now: datetime,
        *,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]] | None = None,
        held_since: datetime | None = None,
    ) -> Brief:
        """Record ``story`` as another source of brief ``brief_id`` (a near-duplicate).

        Like ``record_story`` with ``text=None``, but against a given brief: the story's marks
        point at that brief, its feed joins the brief's sources, and with ``deliver`` the
        feed's subscribers (and ``alerts``) get outbox rows unless they already have one.
        Subscribers waiting for more sources (``bot.core.importance``) are queued only for a
        brief created at or after ``held_since`` (the dedup window), when it is given.
        """
        ...

    async def recent_briefs(
        self,
        since: datetime,
        *,
        exclude_feed: str | None = None,
        limit: int = 500,
        after_id: int = 0,
    ) -> list[Brief]:
        """Briefs created at or after ``since``, newest first; with ``exclude_feed``, only
        those that feed did not carry (the candidates a near-duplicate could belong to);
        with ``after_id``, only those stored after brief ``after_id``."""
        ...

    def story_lock(self) -> AbstractAsyncContextManager[None]:
        """Held, across every process on the database, while a story is checked against the
        stored briefs and stored as a new brief: two workers that see one story (in other
        words) at the same moment make one brief. Brief ids grow in the order they are
        stored under it."""
        ...

    async def latest(self, feed_ids: Sequence[str] | None, limit: int) -> list[Brief]:
        """The newest briefs of these feeds (``None``: all feeds), newest first."""
        ...

    # -- search (``bot.core.search``) -------------------------------------------------------
    async def search_briefs(self, chat: ChatRef, query: Query, limit: int) -> list[Brief]:
        """The newest briefs (by published time, then id) whose headline + summary match
        ``query`` as an alert would, among those ``chat`` may see: carried by an operator feed
        or a feed the chat owns. Sources the chat may not see are left out of each brief."""
        ...

    async def brief_vectors(self, chat: ChatRef, limit: int) -> list[tuple[int, bytes]]:
        """(id, stored embedding) of the newest ``limit`` briefs ``chat`` may see that have one,
        newest (highest id) first."""
        ...

    async def briefs_by_id(self, chat: ChatRef, ids: Sequence[int]) -> list[Brief]:
        """The briefs of ``ids`` that ``chat`` may see, in the order given (sources it may not
        see left out)."""
        ...

    async def save_embeddings(self, vectors: Mapping[int, bytes]) -> None:
        """Store each brief's embedding (``bot.core.search.pack``); unknown ids are skipped."""
        ...

    # -- alerts ----------------------------------------------------------------------------
    async def add_alert(self, chat: ChatRef, query: str, now: datetime) -> Alert: ...

    async def alerts(self, chat: ChatRef | None = None) -> list[Alert]:
        """This chat's alerts, or every alert when ``chat`` is ``None``."""
        ...

    async def remove_alert(self, chat: ChatRef, alert_id: int) -> bool: ...

    # -- outbox ----------------------------------------------------------------------------
    async def claim_deliveries(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        """Claim due pending rows of available chats, oldest first.

        Claimed rows are marked sending until ``now + lease_seconds``; a row whose lease ran out
        (the process died mid-send) is due again.
        """
        ...

    async def mark_sent(
        self, delivery_id: int, now: datetime, *, message_id: str | None = None
    ) -> None:
        """Mark a row sent; ``message_id`` (the platform's) lets later sources edit it."""
        ...

    async def claim_edits(self, now: datetime, limit: int, lease_seconds: float) -> list[Edit]:
        """Claim due edit rows (``bot.core.edits``) of available chats, like deliveries."""
        ...

    async def finish_edit(self, edit_id: int, now: datetime, *, error: str = "") -> None:
        """An edit went out (or, with ``error``, is given up for good)."""
        ...

    async def retry_edit(self, edit_id: int, at: datetime, error: str) -> None:
        """Put a claimed edit back to pending, due at ``at``, counting one more attempt."""
        ...

    async def mark_sent_many(
        self, delivery_ids: Sequence[int], now: datetime, *, batched: bool
    ) -> None:
        """Mark rows sent together; ``batched`` when they went out inside one digest."""
        ...

    async def retry_delivery(self, delivery_id: int, at: datetime, error: str) -> None:
        """Put a claimed row back to pending, due at ``at``, counting one more attempt."""
        ...

    async def release_deliveries(
        self, delivery_ids: Sequence[int], at: datetime, reason: str
    ) -> None:
        """Put claimed rows back to pending, due at ``at``, without counting an attempt
        (held back behind a rate-limited row, quiet hours, waiting for the digest)."""
        ...

    async def reclaim_deliveries(self, now: datetime) -> int:
        """Make every claimed row due at ``now`` and return how many there were: at start-up,
        the rows a previous run claimed before it died, instead of waiting out their lease.
        Only for a database this process alone writes to (SQLite)."""
        ...

    async def renew_claims(self, now: datetime, lease_seconds: float) -> int:
        """Extend to ``now + lease_seconds`` the lease of every row (delivery or notice) this
        storage object claimed and has not finished; returns how many."""
        ...

    async def release_claims(self, now: datetime) -> int:
        """Make every row this storage object claimed and has not finished due at ``now``
        (after a round that lost the database); other processes' claims are untouched."""
        ...

    async def fail_delivery(self, delivery_id: int, error: str) -> None:
        """Give up on a row for good."""
        ...

    # -- notices (sent through the outbox like briefs) ----------------------------------------
    async def queue_notice(
        self, chat: ChatRef, text: str, now: datetime, *, key: str | None = None
    ) -> bool:
        """Queue a plain notice for ``chat``; with ``key``, at most once per chat (returns
        False when a notice with that key was queued before)."""
        ...

    async def claim_notices(self, now: datetime, limit: int, lease_seconds: float) -> list[Notice]:
        """Claim due notices of available chats, oldest first, with a lease."""
        ...

    async def finish_notice(self, notice_id: int, now: datetime, *, error: str = "") -> None:
        """A claimed notice was sent (or, with ``error``, given up)."""
        ...

    async def retry_notice(self, notice_id: int, at: datetime, error: str) -> None:
        """Put a claimed notice back, due at ``at``, counting one more attempt."""
        ...

    async def release_notices(self, notice_ids: Sequence[int], at: datetime, reason: str) -> None:
        """Put claimed notices back, due at ``at``, without counting an attempt (quiet hours)."""
        ...

    async def pending_notices(self, chat: ChatRef) -> list[Notice]:
        """The chat's notices not yet sent, oldest first."""
        ...

    async def reschedule_pending(self, chat: ChatRef, at: datetime) -> int:
        """Make the chat's pending rows due no later than ``at`` (its digest or quiet-hours
        settings changed); returns how many rows moved."""
        ...

    async def alert_sends(self, chat: ChatRef, since: datetime) -> list[datetime]:
        """When messages carrying alert rows were sent to the chat after ``since``
        (exclusive), oldest first; rows sent in one digest count once (for the
        alerts-per-hour limit)."""
        ...

    async def expire_deliveries(self, created_before: datetime, reason: str) -> int:
        """Give up on rows still pending or sending that were queued before
        ``created_before`` (retention); returns how many."""
        ...

    async def purge_deliveries(self, finished_before: datetime) -> int:
        """Delete sent and failed rows (briefs and notices) finished before
        ``finished_before``; returns how many."""
        ...


class Deduper(Protocol):
    """Finds the brief a story is a near-duplicate of (same event, different wording).

    Implementations must not block the event loop (model inference goes to a thread).
    """

    async def same_story(self, story: Story, candidates: Sequence[Brief]) -> int | None:
        """The id of the candidate brief that reports the same story, or ``None``."""
        ...
