"""Storing many stories at once, none delivered: ``record_seen``. Mixed into ``SqlStorage``.

A flood poll (a feed that suddenly serves hundreds of new entries) pushes the newest
``NEWSBRIEF_MAX_NEW_PER_POLL`` and records the rest as seen with their teasers, so they are
never pushed later and ``/latest`` shows them. One ``record_story`` transaction per entry kept
the event loop busy for ~20 s per flood poll; here a batch costs a handful of queries: the
briefs already made for the batch's keys, the sources and marks already stored, and one
insert of each kind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.models import Story
from bot.core.ports import Summarised
from bot.storage.base import StoreBase
from bot.storage.briefs import new_brief_row, story_marks
from bot.storage.tables import BriefRow, BriefSourceRow, StoryMarkRow

_CHUNK = 500
"""Values per ``IN (...)`` list."""


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield list(values[i : i + _CHUNK])


def _key_marks(key: str) -> tuple[str, str]:
    """The marks under which a story attached to another brief is found by its key."""
    return ("l:" + key)[:2048], ("g:" + key)[:2048]


class SeenStore(StoreBase):
    """``record_seen``; the concrete class provides transactions."""

    async def record_seen(self, items: Sequence[tuple[Story, Summarised]], now: datetime) -> None:
        if not items:
            return
        async with self._tx() as s:
            briefs = await self._briefs_by_key(s, [story.key for story, _ in items])
            made: dict[str, BriefRow] = {}
            for story, text in items:
                if story.key not in briefs and story.key not in made:
                    made[story.key] = new_brief_row(story, text, now)
            s.add_all(made.values())
            await s.flush()  # the ids the sources and marks refer to
            briefs.update((key, row.id) for key, row in made.items())
            sources = {(briefs[story.key], story.feed_id): None for story, _ in items}
            marks: dict[tuple[str, str], int] = {}
            for story, _ in items:
                for mark in story_marks(story):
                    marks.setdefault((story.feed_id, mark), briefs[story.key])
            have_sources = await _stored(
                s, BriefSourceRow.brief_id, BriefSourceRow.feed_id, list(sources)
            )
            have_marks = await _stored(s, StoryMarkRow.feed_id, StoryMarkRow.mark, list(marks))
            s.add_all(
                BriefSourceRow(brief_id=brief_id, feed_id=feed_id, seen_at=now)
                for brief_id, feed_id in sources
                if (brief_id, feed_id) not in have_sources
            )
            s.add_all(
                StoryMarkRow(feed_id=feed_id, mark=mark, brief_id=brief_id)
                for (feed_id, mark), brief_id in marks.items()
                if (feed_id, mark) not in have_marks
            )

    async def _briefs_by_key(self, s: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
        """Brief id per story key that has one: its own brief, or the brief a story with that
        link or guid was attached to (as ``BriefStore._brief_row_for`` finds it)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, int] = {}
        for chunk in _chunks(wanted):
            rows = await s.execute(
                select(BriefRow.story_key, BriefRow.id).where(BriefRow.story_key.in_(chunk))
            )
            found.update((key, brief_id) for key, brief_id in rows)
        rest = [key for key in wanted if key and key not in found]
        by_mark: dict[str, int] = {}
        for chunk in _chunks([m for key in rest for m in _key_marks(key)]):
            rows = await s.execute(
                select(StoryMarkRow.mark, StoryMarkRow.brief_id).where(StoryMarkRow.mark.in_(chunk))
            )
            for mark, brief_id in rows:
                by_mark.setdefault(mark, brief_id)
        for key in rest:
            for mark in _key_marks(key):
                if mark in by_mark:
                    found.setdefault(key, by_mark[mark])
        return found


async def _stored(
    s: AsyncSession, first: Any, second: Any, pairs: Sequence[tuple[Any, Any]]
) -> set[tuple[Any, Any]]:
    """Which of ``pairs`` of (``first``, ``second``) column values are stored already."""
    have: set[tuple[Any, Any]] = set()
    for i in range(0, len(pairs), _CHUNK):
        chunk = pairs[i : i + _CHUNK]
        rows = await s.execute(select(first, second).where(tuple_(first, second).in_(chunk)))
        have.update((a, b) for a, b in rows)
    return have
