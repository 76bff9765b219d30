"""The sentence half of ``SqlStorage``: which sentences the stories of each feed carried.

``bot.furniture`` hashes every sentence of a story it summarises and records it here with the
story's hash; a sentence carried by enough different stories of one feed is that feed's
furniture. One row per (feed, sentence, story), so a story summarised twice (a crash before
its brief was stored) counts once. Mixed into ``SqlStorage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, select

from bot.storage.base import StoreBase
from bot.storage.tables import SourceSentenceRow

_CHUNK = 500
"""Hashes per ``IN (...)`` list (SQLite allows 32766 parameters, PostgreSQL 65535)."""


class SentenceStore(StoreBase):
    """Sentence sightings per feed; the concrete class provides transactions."""

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
        """Record that story ``story_hash`` of ``feed_id`` carries ``sentences`` (hashes),
        first seen ``now``, and return those of them that at least ``min_stories`` different
        stories of the feed carried at or after ``since`` (this story included)."""
        hashes = sorted(set(sentences))
        c = SourceSentenceRow
        found: set[int] = set()
        async with self._tx() as s:
            for i in range(0, len(hashes), _CHUNK):
                chunk = hashes[i : i + _CHUNK]
                known = set(
                    await s.scalars(
                        select(c.sentence_hash).where(
                            c.feed_id == feed_id,
                            c.story_hash == story_hash,
                            c.sentence_hash.in_(chunk),
                        )
                    )
                )
                new = [
                    {
                        "feed_id": feed_id,
                        "sentence_hash": h,
                        "story_hash": story_hash,
                        "seen_at": now,
                    }
                    for h in chunk
                    if h not in known
                ]
                if new:
                    await s.execute(insert(cast(Table, c.__table__)), new)
                counted = await s.execute(
                    select(c.sentence_hash)
                    .where(c.feed_id == feed_id, c.sentence_hash.in_(chunk), c.seen_at >= since)
                    .group_by(c.sentence_hash)
                    .having(func.count() >= min_stories)
                )
                found.update(counted.scalars())
        return found

    async def prune_sentences(self, before: datetime) -> int:
        """Forget sentences seen before ``before``; returns how many rows went."""
        async with self._tx() as s:
            result = await s.execute(
                delete(SourceSentenceRow).where(SourceSentenceRow.seen_at < before)
            )
            return int(getattr(result, "rowcount", 0) or 0)
