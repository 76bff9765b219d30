"""The stories-and-briefs half of ``SqlStorage``: one brief per story, shared by every feed.

A story is recognised again by its marks (guid, canonical link, title hash) per feed. A brief
belongs to the first story that made it (``story_key``); later carriers of the same story --
the same link in another feed, or a near-duplicate found by a ``Deduper`` -- are recorded as
further sources of that brief (``brief_sources``), and their subscribers get the one brief,
at most once per chat (the outbox is unique per brief and chat). Mixed into ``SqlStorage``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.errors import StorageError
from bot.core.models import Brief, ChatRef, Story
from bot.core.ports import Summarised
from bot.core.search import search_text
from bot.core.text import title_hash
from bot.storage.base import StoreBase
from bot.storage.tables import BriefRow, BriefSourceRow, FeedRow, StoryMarkRow

logger = logging.getLogger(__name__)


def story_marks(story: Story) -> list[str]:
    """The identifiers by which a feed's entry is recognised again: guid, link, title hash.

    The title is normalised before hashing (``core.text.title_hash``).
    """
    marks = []
    if story.guid:
        marks.append("g:" + story.guid)
    if story.link:
        marks.append("l:" + story.link)
    if story.title.strip():
        marks.append("t:" + title_hash(story.title))
    return [m[:2048] for m in marks]


def identity_marks(story: Story) -> list[str]:
    """The marks that decide whether a feed carried ``story`` before.

    The guid and the canonical link are identities: a known guid *or* a known link means
    "seen", so a re-dated entry, a re-published one with a new guid (BBC's ``#0`` -> ``#1``)
    or one whose link changed keeps one of them. The title hash only decides for an entry
    that has neither, because unrelated stories share titles ("Live updates", "Letters").
    """
    marks = story_marks(story)
    strong = [m for m in marks if not m.startswith("t:")]
    return strong or marks


def new_brief_row(story: Story, text: Summarised, now: datetime) -> BriefRow:
    """The row of a new brief of ``story`` (``record_story``, ``record_seen``)."""
    return BriefRow(
        story_key=story.key,
        feed_id=story.feed_id,
        title=text.title,
        summary=text.summary,
        link=story.link,
        published=story.published,
        image_url=story.image_url,
        created_at=now,
        search_text=search_text(text.title, text.summary),
    )


class BriefStore(StoreBase):
    """Story and brief queries; the concrete class provides transactions and chats."""

    async def unseen(self, feed_id: str, stories: Sequence[Story]) -> list[Story]:
        async with self._tx() as s:
            marks = {m for st in stories for m in identity_marks(st)}
            known: set[str] = set()
            chunk = sorted(marks)
            for i in range(0, len(chunk), 500):
                known.update(
                    await s.scalars(
                        select(StoryMarkRow.mark).where(
                            StoryMarkRow.feed_id == feed_id,
                            StoryMarkRow.mark.in_(chunk[i : i + 500]),
                        )
                    )
                )
            fresh: list[Story] = []
            taken: set[str] = set()
            for story in stories:
                story_ids = identity_marks(story)
                if any(m in known or m in taken for m in story_ids):
                    continue
                taken.update(story_ids)
                fresh.append(story)
            return fresh

    async def _briefs(
        self, s: AsyncSession, rows: Sequence[BriefRow], feeds: Collection[str] | None = None
    ) -> list[Brief]:
        """Briefs with their source names, for many rows in one query; with ``feeds``, only
        those sources are named (the feeds a chat may see), the first of them as the brief's
        own when its first feed is not among them."""
        names: dict[int, list[tuple[str, str]]] = {row.id: [] for row in rows}
        for i in range(0, len(rows), 500):
            chunk = [row.id for row in rows[i : i + 500]]
            found = await s.execute(
                select(BriefSourceRow.brief_id, BriefSourceRow.feed_id, FeedRow.title)
                .join(FeedRow, FeedRow.id == BriefSourceRow.feed_id)
                .where(BriefSourceRow.brief_id.in_(chunk))
                .order_by(BriefSourceRow.seen_at, BriefSourceRow.feed_id)
            )
            for brief_id, feed_id, title in found:
                names[brief_id].append((feed_id, title))
        out = []
        for row in rows:
            carried = names[row.id]
            feed_id = row.feed_id
            if feeds is not None:
                carried = [(fid, t) for fid, t in carried if fid in feeds]
                if carried and all(fid != feed_id for fid, _ in carried):
                    feed_id = carried[0][0]
            first = next((title for fid, title in carried if fid == feed_id), feed_id)
            also = tuple(dict.fromkeys(t for fid, t in carried if fid != feed_id and t != first))
            out.append(
                Brief(
                    id=row.id,
                    story_key=row.story_key,
                    feed_id=feed_id,
                    title=row.title,
                    summary=row.summary,
                    link=row.link,
                    source=first,
                    published=row.published,
                    image_url=row.image_url,
                    also_sources=also,
                )
            )
        return out

    async def _brief(self, s: AsyncSession, row: BriefRow) -> Brief:
        (brief,) = await self._briefs(s, [row])
        return brief

    async def _brief_row_for(self, s: AsyncSession, story_key: str) -> BriefRow | None:
        """The brief of a story key: its own, or the one a story with that link or guid was
        attached to (a near-duplicate recorded as another source)."""
        row = await s.scalar(select(BriefRow).where(BriefRow.story_key == story_key))
        if row is not None or not story_key:
            return row
        marks = [("l:" + story_key)[:2048], ("g:" + story_key)[:2048]]
        brief_id = await s.scalar(
            select(StoryMarkRow.brief_id).where(StoryMarkRow.mark.in_(marks)).limit(1)
        )
        return None if brief_id is None else await s.get(BriefRow, brief_id)

    async def brief_for_story(self, story_key: str) -> Brief | None:
        async with self._tx() as s:
            row = await self._brief_row_for(s, story_key)
            return None if row is None else await self._brief(s, row)

    async def recent_briefs(
        self,
        since: datetime,
        *,
        exclude_feed: str | None = None,
        limit: int = 500,
        after_id: int = 0,
    ) -> list[Brief]:
        async with self._tx() as s:
            query = select(BriefRow).where(BriefRow.created_at >= since)
            if after_id:
                query = query.where(BriefRow.id > after_id)
            if exclude_feed is not None:
                query = query.where(
                    BriefRow.id.not_in(
                        select(BriefSourceRow.brief_id).where(
                            BriefSourceRow.feed_id == exclude_feed
                        )
                    )
                )
            rows = await s.scalars(query.order_by(BriefRow.id.desc()).limit(limit))
            return await self._briefs(s, list(rows))

    async def record_story(
        self,
        story: Story,
        text: Summarised | None,
        now: datetime,
        *,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]] | None = None,
    ) -> Brief:
        try:
            return await self._record_story(story, text, now, deliver=deliver, alerts=alerts)
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        # Another feed (or process) stored the same story, or queued it for the same chat,
        # between our read and our write: do it again on top of what is there now.
        logger.info("story %s was stored concurrently; joining it", story.key)
        return await self._record_story(story, text, now, deliver=deliver, alerts=alerts)

    async def _record_story(
        self,
        story: Story,
        text: Summarised | None,
        now: datetime,
        *,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]] | None = None,
    ) -> Brief:
        async with self._tx() as s:
            row = await self._brief_row_for(s, story.key)
            if row is None:
                if text is None:
                    raise StorageError(f"no brief yet for {story.key!r} and no text given")
                row = new_brief_row(story, text, now)
                s.add(row)
                await s.flush()
                return await self._attach(s, row, story, now, deliver, alerts or {}, new=True)
            return await self._attach(s, row, story, now, deliver, alerts or {})

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
        async with self._tx() as s:
            row = await s.get(BriefRow, brief_id)
            if row is None:
                raise StorageError(f"no brief {brief_id}")
            recent = held_since is None or row.created_at >= held_since
            return await self._attach(s, row, story, now, deliver, alerts or {}, recent=recent)

    async def _attach(
        self,
        s: AsyncSession,
        row: BriefRow,
        story: Story,
        now: datetime,
        deliver: bool,
        alerts: Mapping[ChatRef, Sequence[str]],
        *,
        new: bool = False,
        recent: bool = True,
    ) -> Brief:
        """Record ``story`` as carried by its feed under brief ``row`` and queue deliveries.

        One query for the marks this feed already has, not one per mark: this runs for every
        new story of every feed.
        """
        if new or await s.get(BriefSourceRow, (row.id, story.feed_id)) is None:
            s.add(BriefSourceRow(brief_id=row.id, feed_id=story.feed_id, seen_at=now))
            if not new:  # a later source: the messages that pushed the brief are rewritten
                await self._queue_edits(s, row.id, now)
        marks = story_marks(story)
        known = set(
            await s.scalars(
                select(StoryMarkRow.mark).where(
                    StoryMarkRow.feed_id == story.feed_id, StoryMarkRow.mark.in_(marks)
                )
            )
        )
        s.add_all(
            StoryMarkRow(feed_id=story.feed_id, mark=mark, brief_id=row.id)
            for mark in marks
            if mark not in known
        )
        if deliver:
            await self._enqueue(s, row.id, story.feed_id, alerts, now, recent=recent)
        await s.flush()
        return await self._brief(s, row)

    async def latest(self, feed_ids: Sequence[str] | None, limit: int) -> list[Brief]:
        async with self._tx() as s:
            query = select(BriefRow)
            if feed_ids is not None:
                query = query.where(
                    BriefRow.id.in_(
                        select(BriefSourceRow.brief_id).where(
                            BriefSourceRow.feed_id.in_(list(feed_ids))
                        )
                    )
                )
            rows = await s.scalars(
                query.order_by(BriefRow.published.desc(), BriefRow.id.desc()).limit(limit)
            )
            return await self._briefs(s, list(rows))
