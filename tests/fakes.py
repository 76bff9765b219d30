"""In-memory fakes of every port, for tests of the core. No mocks: real, small implementations.

``FakeStorage`` follows the same contract as ``SqlStorage`` (``tests/test_storage_contract.py``
runs the same tests against both).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from bot.core import importance
from bot.core.alerts import Query, normalize
from bot.core.edits import edit_due
from bot.core.errors import FeedError, StorageError
from bot.core.models import (
    Alert,
    Brief,
    ChatRef,
    ChatSettings,
    Delivery,
    DeliveryState,
    Edit,
    Feed,
    FeedState,
    Notice,
    Platform,
    Story,
)
from bot.core.ports import FetchResult, Pace, Summarised
from bot.storage import claims
from bot.storage.briefs import identity_marks, story_marks
from bot.storage.repository import SqlStorage
from bot.storage.tables import OutboxRow

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class FixedClock:
    """A clock that moves only when told."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        """A ``sleep`` for code under test that advances this clock instead of waiting."""
        self.advance(seconds)


@dataclass
class _Row:
    id: int
    brief_id: int
    chat: ChatRef
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    alert_terms: tuple[str, ...]
    error: str | None = None
    created_at: datetime = T0
    sent_at: datetime | None = None
    batched: bool = False
    message_id: str | None = None


@dataclass
class _EditRow:
    id: int
    outbox_id: int
    chat: ChatRef
    state: DeliveryState
    next_attempt_at: datetime
    attempts: int = 0
    error: str | None = None
    created_at: datetime = T0
    sent_at: datetime | None = None


@dataclass
class _NoticeRow:
    id: int
    chat: ChatRef
    text: str
    key: str | None
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    next_attempt_at: datetime = T0
    created_at: datetime = T0
    sent_at: datetime | None = None


@dataclass
class FakeStorage:
    """The ``Storage`` port in memory."""

    feeds: dict[str, Feed] = field(default_factory=dict)
    states: dict[str, FeedState] = field(default_factory=dict)
    leases: dict[str, datetime] = field(default_factory=dict)
    """Feed id -> the end of the lease a ``due_feeds`` claim took on it."""
    in_catalogue: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    owners: dict[str, set[ChatRef]] = field(default_factory=dict)
    """Chat-added feed id -> the chats that added it."""
    bots: dict[Platform, str] = field(default_factory=dict)
    subs: dict[ChatRef, dict[str, datetime]] = field(default_factory=dict)
    chats: dict[ChatRef, ChatSettings] = field(default_factory=dict)
    briefs: dict[int, Brief] = field(default_factory=dict)
    sources: dict[int, list[str]] = field(default_factory=dict)
    marks: dict[tuple[str, str], int] = field(default_factory=dict)
    alert_rows: dict[int, Alert] = field(default_factory=dict)
    outbox: dict[int, _Row] = field(default_factory=dict)
    notices: dict[int, _NoticeRow] = field(default_factory=dict)
    edits: dict[int, _EditRow] = field(default_factory=dict)
    created: dict[int, datetime] = field(default_factory=dict)
    embeddings: dict[int, bytes] = field(default_factory=dict)
    batches: list[int] = field(default_factory=list)
    """Sizes of the ``save_feed_states`` calls."""
    sightings: dict[tuple[str, int, int], datetime] = field(default_factory=dict)
    """(feed, sentence hash, story hash) -> first seen, for ``bot.furniture``."""
    _ids: int = 0

    def _next(self) -> int:
        self._ids += 1
        return self._ids

    async def close(self) -> None:
        return None

    async def sync_catalogue(self, feeds: Sequence[Feed]) -> None:
        for feed in feeds:
            self.feeds[feed.id] = replace(feed, trusted=True)
            self.states.setdefault(feed.id, FeedState(feed.id))
            if self.states[feed.id].paused_reason == "removed from feeds.yaml":
                self.states[feed.id] = replace(self.states[feed.id], paused_reason=None)
        listed = {f.id for f in feeds}
        for feed_id in self.in_catalogue - listed:
            state = self.states[feed_id]
            self.states[feed_id] = replace(
                state, paused_reason=state.paused_reason or "removed from feeds.yaml"
            )
        self.in_catalogue = listed

    async def add_feed(
        self,
        feed: Feed,
        *,
        alias: str = "",
        owner: ChatRef | None = None,
        now: datetime | None = None,
    ) -> Feed:
        stored = await self.find_feed_by_url(feed.url)
        if stored is None:
            feed_id, n = feed.id, 1
            while feed_id in self.feeds:
                n += 1
                feed_id = f"{feed.id[:60]}-{n}"
            stored = replace(feed, id=feed_id)
            self.feeds[feed_id] = stored
            self.states[feed_id] = FeedState(feed_id)
        if alias and await self.find_feed_by_url(alias) is None:
            self.aliases[alias] = stored.id
        if owner is not None and not stored.trusted:
            self.owners.setdefault(stored.id, set()).add(owner)
            self.chats.setdefault(owner, ChatSettings(owner))
        return stored

    async def find_feed_by_url(self, url: str) -> Feed | None:
        for feed in self.feeds.values():
            if feed.url == url:
                return feed
        alias = self.aliases.get(url)
        return None if alias is None else self.feeds.get(alias)

    async def list_feeds(self, chat: ChatRef | None = None) -> list[Feed]:
        return sorted(
            (
                f
                for f in self.feeds.values()
                if chat is None or f.trusted or chat in self.owners.get(f.id, ())
            ),
            key=lambda f: f.id,
        )

    async def move_feed(self, feed_id: str, new_url: str) -> None:
        feed = self.feeds.get(feed_id)
        if feed is None or feed.url == new_url:
            return
        if any(f.url == new_url for f in self.feeds.values()):
            return
        self.aliases.setdefault(feed.url, feed_id)
        self.aliases.pop(new_url, None)
        self.feeds[feed_id] = replace(feed, url=new_url)

    async def get_feed_state(self, feed_id: str) -> FeedState:
        return self.states.get(feed_id, FeedState(feed_id))

    async def save_feed_state(self, state: FeedState) -> None:
        if state.feed_id not in self.feeds:
            raise StorageError(f"no feed {state.feed_id!r}")  # as the SQL storage does
        self.states[state.feed_id] = state
        self.leases.pop(state.feed_id, None)

    async def save_feed_states(self, states: Sequence[FeedState]) -> None:
        self.batches.append(len(states))
        for state in states:
            if state.feed_id in self.feeds:
                self.states[state.feed_id] = state
                self.leases.pop(state.feed_id, None)

    async def due_feeds(
        self, now: datetime, *, limit: int | None = None, lease_seconds: float | None = None
    ) -> list[tuple[Feed, FeedState]]:
        due = sorted(
            (
                (self.feeds[i], s)
                for i, s in self.states.items()
                if i in self.feeds
                and s.paused_reason is None
                and (s.next_poll_at is None or s.next_poll_at <= now)
                and (i not in self.leases or self.leases[i] <= now)
            ),
            key=lambda p: (p[1].next_poll_at is not None, p[1].next_poll_at or now, p[0].id),
        )[:limit]
        if lease_seconds is not None:
            for feed, _ in due:
                self.leases[feed.id] = now + timedelta(seconds=lease_seconds)
        return due

    async def release_feeds(self, feed_ids: Sequence[str]) -> None:
        for feed_id in feed_ids:
            self.leases.pop(feed_id, None)

    async def subscribe(self, chat: ChatRef, feed_ids: Sequence[str], now: datetime) -> list[str]:
        have = self.subs.setdefault(chat, {})
        self.chats.setdefault(chat, ChatSettings(chat))
        added = [f for f in dict.fromkeys(feed_ids) if f not in have]
        for f in added:
            have[f] = now
        return added

    async def unsubscribe(self, chat: ChatRef, feed_ids: Sequence[str] | None) -> list[str]:
        have = self.subs.get(chat, {})
        gone = sorted(have if feed_ids is None else [f for f in feed_ids if f in have])
        for f in gone:
            del have[f]
        return gone

    async def subscriptions(self, chat: ChatRef) -> list[Feed]:
        return [self.feeds[f] for f in sorted(self.subs.get(chat, {}))]

    async def subscribers(self, feed_id: str) -> list[ChatRef]:
        return [c for c, feeds in self.subs.items() if feed_id in feeds]

    async def get_chat(self, chat: ChatRef) -> ChatSettings:
        return self.chats.get(chat, ChatSettings(chat))

    async def save_chat(self, settings: ChatSettings) -> None:
        self.chats[settings.chat] = settings

    async def move_chat(self, old: ChatRef, new: ChatRef) -> None:
        if old in self.subs:
            merged = self.subs.pop(old)
            merged.update(self.subs.get(new, {}))
            self.subs[new] = merged
        if old in self.chats:
            self.chats[new] = replace(self.chats.pop(old), chat=new)
        for chats in self.owners.values():
            if old in chats:
                chats.discard(old)
                chats.add(new)
        for alert_id, alert in list(self.alert_rows.items()):
            if alert.chat == old:
                self.alert_rows[alert_id] = replace(alert, chat=new)
        queued = {r.brief_id for r in self.outbox.values() if r.chat == new}
        for row_id, row in list(self.outbox.items()):
            if row.chat == old:
                if row.brief_id in queued:
                    del self.outbox[row_id]
                else:
                    row.chat = new

    async def claim_bot(self, platform: Platform, bot_id: str, now: datetime) -> str:
        return self.bots.setdefault(platform, bot_id)

    async def unseen(self, feed_id: str, stories: Sequence[Story]) -> list[Story]:
        fresh, taken = [], set()
        for story in stories:
            marks = identity_marks(story)
            if any((feed_id, m) in self.marks or m in taken for m in marks):
                continue
            taken.update(marks)
            fresh.append(story)
        return fresh

    def _with_sources(self, brief: Brief, feeds: set[str] | None = None) -> Brief:
        carriers = [f for f in self.sources[brief.id] if feeds is None or f in feeds]
        names = [self.feeds[f].title if f in self.feeds else f for f in carriers]
        first = names[0] if names else brief.feed_id
        also = tuple(dict.fromkeys(n for n in names[1:] if n != first))
        feed_id = carriers[0] if carriers else brief.feed_id
        return replace(brief, feed_id=feed_id, source=first, also_sources=also)

    def _visible(self, chat: ChatRef) -> set[str]:
        return {f.id for f in self.feeds.values() if f.trusted or chat in self.owners.get(f.id, ())}

    def _seen_by(self, chat: ChatRef) -> tuple[set[str], list[Brief]]:
        feeds = self._visible(chat)
        return feeds, [b for b in self.briefs.values() if feeds & set(self.sources[b.id])]

    async def search_briefs(self, chat: ChatRef, query: Query, limit: int) -> list[Brief]:
        feeds, briefs = self._seen_by(chat)
        chosen = [b for b in briefs if query.matches(f"{b.title} {b.summary}")]
        chosen.sort(key=lambda b: (b.published, b.id), reverse=True)
        return [self._with_sources(b, feeds) for b in chosen[:limit]]

    async def brief_vectors(self, chat: ChatRef, limit: int) -> list[tuple[int, bytes]]:
        _, briefs = self._seen_by(chat)
        ids = sorted((b.id for b in briefs if b.id in self.embeddings), reverse=True)
        return [(i, self.embeddings[i]) for i in ids[:limit]]

    async def briefs_by_id(self, chat: ChatRef, ids: Sequence[int]) -> list[Brief]:
        feeds, briefs = self._seen_by(chat)
        seen = {b.id: b for b in briefs}
        return [self._with_sources(seen[i], feeds) for i in ids if i in seen]

    async def save_embeddings(self, vectors: Mapping[int, bytes]) -> None:
        self.embeddings.update((k, v) for k, v in vectors.items() if k in self.briefs)

    async def brief_for_story(self, story_key: str) -> Brief | None:
        for brief in self.briefs.values():
            if brief.story_key == story_key:
                return self._with_sources(brief)
        for (_, mark), brief_id in self.marks.items():
            if story_key and mark in ("l:" + story_key, "g:" + story_key):
                return self._with_sources(self.briefs[brief_id])
        return None

    async def recent_briefs(
        self,
        since: datetime,
        *,
        exclude_feed: str | None = None,
        limit: int = 500,
        after_id: int = 0,
    ) -> list[Brief]:
        chosen = [
            b
            for b in self.briefs.values()
            if self.created[b.id] >= since
            and exclude_feed not in self.sources[b.id]
            and b.id > after_id
        ]
        chosen.sort(key=lambda b: b.id, reverse=True)
        return [self._with_sources(b) for b in chosen[:limit]]

    @asynccontextmanager
    async def story_lock(self) -> AsyncIterator[None]:
        yield  # one process, and the pipeline's own lock

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
        recent = held_since is None or self.created[brief_id] >= held_since
        return self._attach(self.briefs[brief_id], story, now, deliver, alerts or {}, recent)

    async def record_story(
        self,
        story: Story,
        text: Summarised | None,
        now: datetime,
        *,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]] | None = None,
    ) -> Brief:
        return await self._store(story, text, now, deliver, alerts or {})

    async def record_seen(self, items: Sequence[tuple[Story, Summarised]], now: datetime) -> None:
        for story, text in items:
            await self._store(story, text, now, False, {})

    async def _store(
        self,
        story: Story,
        text: Summarised | None,
        now: datetime,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]],
    ) -> Brief:
        brief = await self.brief_for_story(story.key)
        if brief is None:
            if text is None:
                raise StorageError(f"no brief yet for {story.key!r} and no text given")
            brief = Brief(
                id=self._next(),
                story_key=story.key,
                feed_id=story.feed_id,
                title=text.title,
                summary=text.summary,
                link=story.link,
                source="",
                published=story.published,
                image_url=story.image_url,
            )
            self.briefs[brief.id] = brief
            self.sources[brief.id] = []
            self.created[brief.id] = now
        return self._attach(brief, story, now, deliver, alerts)

    def _attach(
        self,
        brief: Brief,
        story: Story,
        now: datetime,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]],
        recent: bool = True,
    ) -> Brief:
        if story.feed_id not in self.sources[brief.id]:
            if self.sources[brief.id]:
                self._queue_edits(brief.id, now)
            self.sources[brief.id].append(story.feed_id)
        for mark in story_marks(story):
            self.marks.setdefault((story.feed_id, mark), brief.id)
        if deliver:
            sources = set(self.sources[brief.id])
            targets: dict[ChatRef, tuple[str, ...]] = {
                c: ()
                for c, feeds in self.subs.items()
                if sources & set(feeds)
                and importance.queue_now(
                    self.chats.get(c, ChatSettings(c)).importance,
                    digest=bool(self.chats.get(c, ChatSettings(c)).digest_times),
                    sources=len(sources),
                    joined=story.feed_id in feeds,
                    recent=recent,
                )
            }
            for chat, terms in alerts.items():
                targets[chat] = tuple(terms)
                self.chats.setdefault(chat, ChatSettings(chat))
            queued = {r.chat for r in self.outbox.values() if r.brief_id == brief.id}
            for chat, terms in targets.items():
                if chat not in queued:
                    row_id = self._next()
                    self.outbox[row_id] = _Row(
                        row_id, brief.id, chat, DeliveryState.PENDING, 0, now, terms, created_at=now
                    )
        return self._with_sources(self.briefs[brief.id])

    async def latest(self, feed_ids: Sequence[str] | None, limit: int) -> list[Brief]:
        chosen = [
            b
            for b in self.briefs.values()
            if feed_ids is None or set(self.sources[b.id]) & set(feed_ids)
        ]
        chosen.sort(key=lambda b: (b.published, b.id), reverse=True)
        return [self._with_sources(b) for b in chosen[:limit]]

    async def add_alert(self, chat: ChatRef, query: str, now: datetime) -> Alert:
        alert = Alert(self._next(), chat, query, now)
        self.alert_rows[alert.id] = alert
        self.chats.setdefault(chat, ChatSettings(chat))
        return alert

    async def alerts(self, chat: ChatRef | None = None) -> list[Alert]:
        return [a for a in self.alert_rows.values() if chat is None or a.chat == chat]

    async def remove_alert(self, chat: ChatRef, alert_id: int) -> bool:
        alert = self.alert_rows.get(alert_id)
        if alert is None or alert.chat != chat:
            return False
        del self.alert_rows[alert_id]
        return True

    def _delivery(self, row: _Row) -> Delivery:
        return Delivery(
            id=row.id,
            chat=row.chat,
            brief=self._with_sources(self.briefs[row.brief_id]),
            state=row.state,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            alert_terms=row.alert_terms,
        )

    async def claim_deliveries(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[Delivery]:
        due = [
            r
            for r in sorted(self.outbox.values(), key=lambda r: r.id)
            if r.state in (DeliveryState.PENDING, DeliveryState.SENDING)
            and r.next_attempt_at <= now
            and self.chats.get(r.chat, ChatSettings(r.chat)).available
        ][:limit]
        for row in due:
            row.state = DeliveryState.SENDING
            row.next_attempt_at = now + timedelta(seconds=lease_seconds)
        return [self._delivery(r) for r in due]

    async def mark_sent(
        self, delivery_id: int, now: datetime, *, message_id: str | None = None
    ) -> None:
        await self.mark_sent_many([delivery_id], now, batched=False)
        self.outbox[delivery_id].message_id = message_id

    def _queue_edits(self, brief_id: int, now: datetime) -> None:
        for row in list(self.outbox.values()):
            if row.brief_id != brief_id or row.state != DeliveryState.SENT:
                continue
            if row.message_id is None or row.batched:
                continue
            armed = next((e for e in self.edits.values() if e.outbox_id == row.id), None)
            if armed is None:
                edit_id = self._next()
                due = edit_due(now, row.sent_at or now)
                self.edits[edit_id] = _EditRow(
                    edit_id, row.id, row.chat, DeliveryState.PENDING, due, created_at=now
                )
            elif armed.state == DeliveryState.SENT:
                armed.state, armed.attempts = DeliveryState.PENDING, 0
                armed.next_attempt_at = edit_due(now, armed.sent_at or now)

    async def claim_edits(self, now: datetime, limit: int, lease_seconds: float) -> list[Edit]:
        due = [
            e
            for e in sorted(self.edits.values(), key=lambda e: e.id)
            if e.state in (DeliveryState.PENDING, DeliveryState.SENDING)
            and e.next_attempt_at <= now
            and self.chats.get(e.chat, ChatSettings(e.chat)).available
        ][:limit]
        out = []
        for e in due:
            e.state = DeliveryState.SENDING
            e.next_attempt_at = now + timedelta(seconds=lease_seconds)
            row = self.outbox[e.outbox_id]
            brief = self._with_sources(self.briefs[row.brief_id])
            sent = row.sent_at or now
            out.append(
                Edit(e.id, e.chat, brief, row.message_id or "", sent, row.alert_terms, e.attempts)
            )
        return out

    async def finish_edit(self, edit_id: int, now: datetime, *, error: str = "") -> None:
        e = self.edits[edit_id]
        e.state = DeliveryState.FAILED if error else DeliveryState.SENT
        e.sent_at = None if error else now  # as claims.finished: a failed edit never went out
        e.attempts, e.error = e.attempts + 1, error or None

    async def retry_edit(self, edit_id: int, at: datetime, error: str) -> None:
        e = self.edits[edit_id]
        e.state, e.next_attempt_at = DeliveryState.PENDING, at
        e.attempts, e.error = e.attempts + 1, error

    async def mark_sent_many(
        self, delivery_ids: Sequence[int], now: datetime, *, batched: bool
    ) -> None:
        for delivery_id in delivery_ids:
            row = self.outbox[delivery_id]
            row.state, row.attempts, row.error = DeliveryState.SENT, row.attempts + 1, None
            row.sent_at, row.batched = now, batched

    async def release_deliveries(
        self, delivery_ids: Sequence[int], at: datetime, reason: str
    ) -> None:
        for delivery_id in delivery_ids:
            row = self.outbox[delivery_id]
            row.state, row.next_attempt_at, row.error = DeliveryState.PENDING, at, reason

    async def retry_delivery(self, delivery_id: int, at: datetime, error: str) -> None:
        row = self.outbox[delivery_id]
        row.state, row.next_attempt_at = DeliveryState.PENDING, at
        row.attempts, row.error = row.attempts + 1, error

    async def reclaim_deliveries(self, now: datetime) -> int:
        claimed = [r for r in self.outbox.values() if r.state == DeliveryState.SENDING]
        for row in claimed:
            row.next_attempt_at = now
        return len(claimed)

    async def renew_claims(self, now: datetime, lease_seconds: float) -> int:
        until = now + timedelta(seconds=lease_seconds)
        rows = [r for r in self._open_rows() if r.state == DeliveryState.SENDING]
        for row in rows:
            row.next_attempt_at = max(row.next_attempt_at, until)
        return len(rows)

    async def release_claims(self, now: datetime) -> int:
        rows = [r for r in self._open_rows() if r.state == DeliveryState.SENDING]
        for row in rows:
            row.state, row.next_attempt_at = DeliveryState.PENDING, now
        return len(rows)

    def _open_rows(self) -> list[_Row | _NoticeRow | _EditRow]:
        return [*self.outbox.values(), *self.notices.values(), *self.edits.values()]

    async def queue_notice(
        self, chat: ChatRef, text: str, now: datetime, *, key: str | None = None
    ) -> bool:
        if key is not None and any(n.chat == chat and n.key == key for n in self.notices.values()):
            return False
        self.chats.setdefault(chat, ChatSettings(chat))
        notice_id = self._next()
        self.notices[notice_id] = _NoticeRow(
            notice_id, chat, text, key, next_attempt_at=now, created_at=now
        )
        return True

    async def claim_notices(self, now: datetime, limit: int, lease_seconds: float) -> list[Notice]:
        due = [
            n
            for n in sorted(self.notices.values(), key=lambda n: n.id)
            if n.state in (DeliveryState.PENDING, DeliveryState.SENDING)
            and n.next_attempt_at <= now
            and self.chats.get(n.chat, ChatSettings(n.chat)).available
        ][:limit]
        for n in due:
            n.state = DeliveryState.SENDING
            n.next_attempt_at = now + timedelta(seconds=lease_seconds)
        return [Notice(n.id, n.chat, n.text, n.attempts) for n in due]

    async def finish_notice(self, notice_id: int, now: datetime, *, error: str = "") -> None:
        n = self.notices[notice_id]
        n.state = DeliveryState.FAILED if error else DeliveryState.SENT
        n.sent_at = None if error else now
        n.attempts += 1

    async def retry_notice(self, notice_id: int, at: datetime, error: str) -> None:
        n = self.notices[notice_id]
        n.state, n.next_attempt_at, n.attempts = DeliveryState.PENDING, at, n.attempts + 1

    async def release_notices(self, notice_ids: Sequence[int], at: datetime, reason: str) -> None:
        for notice_id in notice_ids:
            n = self.notices[notice_id]
            n.state, n.next_attempt_at = DeliveryState.PENDING, at

    async def pending_notices(self, chat: ChatRef) -> list[Notice]:
        return [
            Notice(n.id, n.chat, n.text, n.attempts)
            for n in sorted(self.notices.values(), key=lambda n: n.id)
            if n.chat == chat and n.state in (DeliveryState.PENDING, DeliveryState.SENDING)
        ]

    async def fail_delivery(self, delivery_id: int, error: str) -> None:
        row = self.outbox[delivery_id]
        row.state, row.error = DeliveryState.FAILED, error

    def pending_rows(self, chat: ChatRef) -> list[Delivery]:
        return [
            self._delivery(r)
            for r in sorted(self.outbox.values(), key=lambda r: r.id)
            if r.chat == chat and r.state == DeliveryState.PENDING
        ]

    async def reschedule_pending(self, chat: ChatRef, at: datetime) -> int:
        moved = 0
        for row in self.outbox.values():
            if row.chat == chat and row.state == DeliveryState.PENDING and row.next_attempt_at > at:
                row.next_attempt_at, moved = at, moved + 1
        return moved

    async def alert_sends(self, chat: ChatRef, since: datetime) -> list[datetime]:
        return sorted(
            {
                r.sent_at
                for r in self.outbox.values()
                if r.chat == chat
                and r.state == DeliveryState.SENT
                and r.alert_terms
                and r.sent_at is not None
                and r.sent_at > since
            }
        )

    async def expire_deliveries(self, created_before: datetime, reason: str) -> int:
        expired = 0
        for row in self.outbox.values():
            if (
                row.state in (DeliveryState.PENDING, DeliveryState.SENDING)
                and row.created_at < created_before
            ):
                row.state, row.error, expired = DeliveryState.FAILED, reason, expired + 1
        return expired

    async def purge_deliveries(self, finished_before: datetime) -> int:
        done = (DeliveryState.SENT, DeliveryState.FAILED)
        purged = 0
        tables: tuple[dict[int, Any], ...] = (self.outbox, self.notices, self.edits)
        for table in tables:
            gone = [
                row_id
                for row_id, row in table.items()
                if row.state in done and (row.sent_at or row.created_at) < finished_before
            ]
            for row_id in gone:
                del table[row_id]
            purged += len(gone)
        return purged

    async def learn_sentences(
        self,
        feed_id: str,
        story_hash: int,
        sentences: Sequence[int],
        now: datetime,
        *,
        since: datetime,
        min_stories: int,
    ) -> set[int]:
        for h in sentences:
            self.sightings.setdefault((feed_id, h, story_hash), now)
        counts: dict[int, int] = defaultdict(int)
        for (feed, h, _story), seen in self.sightings.items():
            if feed == feed_id and h in sentences and seen >= since:
                counts[h] += 1
        return {h for h, n in counts.items() if n >= min_stories}

    async def prune_sentences(self, before: datetime) -> int:
        old = [key for key, seen in self.sightings.items() if seen < before]
        for key in old:
            del self.sightings[key]
        return len(old)

    def open_rows(self) -> int:
        return sum(
            r.state in (DeliveryState.PENDING, DeliveryState.SENDING) for r in self.outbox.values()
        )


async def pending_deliveries(storage: object, chat: ChatRef) -> list[Delivery]:
    """Every pending row of one chat, oldest first: what a test reads of an outbox (the port
    has no such read; the ``Deliverer`` claims rows instead)."""
    if isinstance(storage, FakeStorage):
        return storage.pending_rows(chat)
    assert isinstance(storage, SqlStorage)
    async with storage._tx() as s:
        chat_row = await storage._chat_row(s, chat, create=False)
        if chat_row is None:
            return []
        rows = await s.scalars(
            select(OutboxRow)
            .where(OutboxRow.chat_pk == chat_row.id)
            .where(OutboxRow.state == DeliveryState.PENDING.value)
            .order_by(OutboxRow.id)
        )
        return await storage._deliveries(s, list(rows))


async def count_pending(storage: object) -> int:
    """Outbox rows not yet delivered (pending or in flight)."""
    if isinstance(storage, FakeStorage):
        return storage.open_rows()
    assert isinstance(storage, SqlStorage)
    async with storage._tx() as s:
        value = await s.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.state.in_(claims.OPEN))
        )
        return int(value or 0)


@dataclass
class FakeFeedSource:
    """Serves scripted stories per feed URL; raise by scripting an exception instead."""

    items: dict[str, list[Story] | Exception] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    resolvable: dict[str, Feed] = field(default_factory=dict)
    enriched: list[str] = field(default_factory=list)
    """Keys of the stories whose article text was asked for."""
    unchanged: set[str] = field(default_factory=set)
    """Feed URLs that answer as a 304 would."""

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        self.calls.append(feed.id)
        if feed.url in self.unchanged:
            return FetchResult(not_modified=True, etag=state.etag)
        got = self.items.get(feed.url, [])
        if isinstance(got, Exception):
            raise got
        stories = tuple(replace(s, feed_id=feed.id) for s in got)
        return FetchResult(not_modified=False, stories=stories, etag='"v1"')

    async def resolve(self, url: str) -> Feed:
        if url in self.resolvable:
            return self.resolvable[url]
        raise FeedError("it is not an RSS or Atom feed")

    async def enrich(self, story: Story) -> Story:
        self.enriched.append(story.key)
        return story


@dataclass
class FakeSummarizer:
    """Summary = the story's text cut to ``words`` words; records every call."""

    words: int = 40
    calls: list[str] = field(default_factory=list)

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        out = []
        for story in stories:
            self.calls.append(story.key)
            text = " ".join((story.summary or story.title).split()[: self.words])
            out.append(Summarised(story.title, text))
        return out


@dataclass
class RecordingNotifier:
    """Records what reached each chat, in order; ``failures[chat]`` lists exceptions to raise
    next. ``log`` holds brief ids; ``sent`` gives the briefs themselves."""

    platform: Platform = Platform.TELEGRAM
    pace: Pace = field(default_factory=lambda: Pace(per_chat_interval=1.0, per_second=30.0))
    log: list[tuple[str, ChatRef, object]] = field(default_factory=list)
    failures: dict[ChatRef, list[Exception]] = field(default_factory=lambda: defaultdict(list))
    _briefs: dict[int, Brief] = field(default_factory=dict)
    message_ids: bool = False
    """``send_brief`` returns message ids (so later sources edit the messages)."""

    def _maybe_fail(self, chat: ChatRef) -> None:
        queue = self.failures.get(chat)
        if queue:
            raise queue.pop(0)

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> str | None:
        self._maybe_fail(chat)
        self._briefs[brief.id] = brief
        self.log.append(("brief", chat, (brief.id, tuple(alert_terms))))
        return f"m{len(self.log)}" if self.message_ids else None

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        self._maybe_fail(chat)
        self.log.append(("edit", chat, (message_id, brief.also_sources)))

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        self._maybe_fail(chat)
        self.log.append(("digest", chat, (heading, tuple(b.id for b in briefs))))

    async def send_text(self, chat: ChatRef, text: str) -> None:
        self.log.append(("text", chat, text))

    @property
    def sent(self) -> list[tuple[ChatRef, Brief, tuple[str, ...]]]:
        """The single briefs sent: (chat, brief, alert terms), in order."""
        return [(c, self._briefs[p[0]], p[1]) for kind, c, p in self.log if kind == "brief"]  # type: ignore[index]

    def briefs_to(self, chat: ChatRef) -> list[int]:
        return [p[0] for kind, c, p in self.log if kind == "brief" and c == chat]  # type: ignore[index]

    def digests_to(self, chat: ChatRef) -> list[tuple[str, tuple[int, ...]]]:
        return [p for kind, c, p in self.log if kind == "digest" and c == chat]  # type: ignore[misc]


def make_story(n: int, feed_id: str = "f", *, published: datetime = T0, **kw: str) -> Story:
    """A story numbered ``n`` with a unique guid, link and title."""
    link = kw.pop("link", f"https://news.example/{n}")
    return Story(
        feed_id=feed_id,
        key=link,
        guid=kw.pop("guid", f"guid-{n}"),
        link=link,
        title=kw.pop("title", f"Story number {n} happened"),
        published=published + timedelta(minutes=n),
        summary=kw.pop("summary", f"Officials said story {n} unfolded on Tuesday in Kursk."),
    )


class FakeDeduper:
    """``Deduper`` fake: stories whose headlines were declared one story match each other."""

    def __init__(self, *same: tuple[str, str]) -> None:
        self._same = {frozenset(pair) for pair in same}
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    async def same_story(self, story: Story, candidates: Sequence[Brief]) -> int | None:
        self.calls.append((story.title, tuple(b.id for b in candidates)))
        for brief in candidates:
            if frozenset((story.title, brief.title)) in self._same:
                return brief.id
        return None


class FakeEmbedder:
    """``Embedder`` fake: one axis per declared topic; a text's vector counts its words on
    each axis (plus a small constant axis), so texts sharing a topic are near in meaning and
    others are not. Counts the texts it was asked to embed (the model runs)."""

    def __init__(self, **topics: str) -> None:
        self._axes = {w: i for i, words in enumerate(topics.values()) for w in words.split()}
        self._size = len(topics) + 1
        self.texts: list[str] = []

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        self.texts.append(text)
        vector = np.zeros(self._size, np.float32)
        vector[-1] = 0.3
        for word in normalize(text).split():
            if word in self._axes:
                vector[self._axes[word]] += 1.0
        unit: npt.NDArray[np.float32] = vector / np.linalg.norm(vector)
        return unit

    async def embed_briefs(self, briefs: Sequence[Brief]) -> list[npt.NDArray[np.float32]]:
        return [self._vector(f"{b.title}. {b.summary}") for b in briefs]

    async def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        return self._vector(text)
