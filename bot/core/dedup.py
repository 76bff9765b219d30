"""Cross-source merging: which existing brief, if any, a new story belongs to.

A story belongs to an existing brief when another feed carried the same canonical link (or
guid) -- ``Storage.brief_for_story`` -- or, with a ``Deduper``, when it is a near-duplicate of a
recent brief that its own feed did not carry. ``StoryMatcher`` does this for one polling round:
it loads each feed's candidates once (``Storage.recent_briefs``) and adds the briefs recorded
during the round, so that five feeds carrying one story in the same round make one brief.
Right before a new brief is stored, under ``Storage.story_lock``, the check is made again
against the briefs stored since by other workers (processes) on the same database, so two
workers carrying one story at the same moment make one brief too.
A feed's own briefs are never candidates: two items of one feed (a live blog's day 3 and day 4)
stay two briefs however alike they read.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from bot.core.models import Brief, Story
from bot.core.ports import Deduper, Storage

logger = logging.getLogger(__name__)


class StoryMatcher:
    """Finds the brief a story belongs to; one instance per polling round."""

    def __init__(
        self, storage: Storage, deduper: Deduper | None, *, window: timedelta, now: datetime
    ) -> None:
        self._storage = storage
        self._deduper = deduper
        self._since = now - window
        self._loaded: dict[str, list[Brief]] = {}
        self._new: list[tuple[str, Brief]] = []
        self._carried: dict[str, set[int]] = defaultdict(set)

    async def existing(self, story: Story, *, fresh: bool = False) -> Brief | None:
        """The brief ``story`` belongs to, or ``None`` when it is a new story. ``fresh``:
        also against the briefs other workers stored since this round loaded its candidates
        (under ``Storage.story_lock``, right before storing a new brief)."""
        brief = await self._storage.brief_for_story(story.key)
        if brief is not None or self._deduper is None:
            return brief
        if fresh:
            await self._refresh(story.feed_id)
        candidates = await self._candidates(story.feed_id)
        if not candidates:
            return None
        brief_id = await self._deduper.same_story(story, candidates)
        found = next((b for b in candidates if b.id == brief_id), None)
        if found is not None:
            logger.info("story %s of %s joins brief %d", story.key, story.feed_id, found.id)
        return found

    def recorded(self, story: Story, brief: Brief, *, new: bool) -> None:
        """Tell the matcher that ``story`` was stored under ``brief`` (a new one or not)."""
        if new:
            self._new.append((story.feed_id, brief))
        self._carried[story.feed_id].add(brief.id)

    async def _refresh(self, feed_id: str) -> None:
        """Add the briefs stored after the newest one this feed's candidates hold (brief ids
        grow in the order they are stored under the story lock)."""
        loaded = self._loaded.get(feed_id)
        if loaded is None:
            return  # loaded afresh by ``_candidates``
        newest = max((b.id for b in loaded), default=0)
        fresh = await self._storage.recent_briefs(
            self._since, exclude_feed=feed_id, limit=5000, after_id=newest
        )
        self._loaded[feed_id] = [*fresh, *loaded]

    async def _candidates(self, feed_id: str) -> list[Brief]:
        if feed_id not in self._loaded:
            self._loaded[feed_id] = await self._storage.recent_briefs(
                self._since, exclude_feed=feed_id, limit=5000
            )
        skip = set(self._carried[feed_id])
        out = []
        for other, brief in self._new:
            if other != feed_id and brief.id not in skip:
                skip.add(brief.id)
                out.append(brief)
        out += [b for b in self._loaded[feed_id] if b.id not in skip]
        return out
