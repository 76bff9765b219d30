"""Publisher furniture learned from the feed: each source's stock lines never enter a brief.

Publishers append the same lines to many stories ("Keep up with all the latest news on ...",
a stock paragraph about a war, a newsletter plug). The static rules of
``summarizer.furniture`` cannot know them all, but the feed shows them: a sentence that
appears verbatim (after normalising whitespace and case, ``summarizer.clean.sentence_key``)
in ``MIN_STORIES`` or more different stories of the same source (feed) within ``WINDOW`` is
furniture for that source.

``FurnitureLearner`` is the pipeline's ``Summarizer``: it wraps ``ModelSummarizer``. For each
story it is asked to summarise it

1. cleans and splits the story's text exactly as the summariser will (``summarizer.chain.prepare``)
   and hashes each sentence (64-bit BLAKE2b of its key);
2. records the hashes with the story's hash and the time (``SentenceStore.learn_sentences``,
   one transaction per story) and gets back the hashes that are now furniture of the feed,
   this story counted;
3. has the summariser leave those sentences out (``Article.drop``).

A story most of whose sentences (more than half) would be furniture is the same story
published again under a new address, not a carrier of stock lines: nothing is dropped from
it. When the database fails, the story is summarised without learned furniture (logged):
a brief is never lost over furniture. Only sentence hashes are stored, never text, and
``housekeep`` (hourly, from the scheduler) forgets sightings older than ``WINDOW``, which
bounds the table.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.briefing import ModelSummarizer, story_text
from bot.core.errors import StorageError
from bot.core.models import Story
from bot.core.ports import Clock, Summarised
from summarizer import Article
from summarizer.chain import prepare
from summarizer.clean import sentence_key

logger = logging.getLogger(__name__)

MIN_STORIES = 3
"""Different stories of one source that must carry a sentence for it to be furniture."""
WINDOW = timedelta(days=30)
"""How far back sightings count (and how long they are kept)."""
MAX_SENTENCES = 400
"""Sentences of one story recorded at most (a very long page cannot flood the table)."""


class FurnitureStore(Protocol):
    """The storage capability the learner needs (``bot.storage.SqlStorage`` has it)."""

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
        """Record the sentences a story carries; return those now carried by at least
        ``min_stories`` stories of the feed seen at or after ``since``."""
        ...

    async def prune_sentences(self, before: datetime) -> int:
        """Forget sightings older than ``before``; returns how many."""
        ...


def text_hash(text: str) -> int:
    """A signed 64-bit hash of ``text`` (fits a BIGINT column on SQLite and PostgreSQL)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def story_sentences(story: Story) -> dict[int, str]:
    """The story's sentences as the summariser sees them: hash -> ``sentence_key``."""
    document = prepare(Article(title=story.title, text=story_text(story)))
    keys = (sentence_key(s) for s in document.sentences[:MAX_SENTENCES])
    return {text_hash(key): key for key in keys if key}


class FurnitureLearner:
    """A ``Summarizer`` that learns each source's furniture and keeps it out of the briefs.

    Args:
        summarizer: What makes the briefs.
        store: Where sightings are kept (the bot's storage).
        clock: The time sightings are recorded at.
        min_stories: See ``MIN_STORIES``.
        window: See ``WINDOW``.
    """

    def __init__(
        self,
        summarizer: ModelSummarizer,
        store: FurnitureStore,
        clock: Clock,
        *,
        min_stories: int = MIN_STORIES,
        window: timedelta = WINDOW,
    ) -> None:
        self._summarizer = summarizer
        self._store = store
        self._clock = clock
        self._min_stories = min_stories
        self._window = window

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        """Summarise ``stories`` (one result each, in order) without their sources' furniture."""
        sentences = await asyncio.to_thread(lambda: [story_sentences(s) for s in stories])
        now = self._clock.now()
        drops = [
            await self._furniture(story, found, now)
            for story, found in zip(stories, sentences, strict=True)
        ]
        return await self._summarizer.summarize(stories, drop=drops)

    async def _furniture(
        self, story: Story, sentences: dict[int, str], now: datetime
    ) -> frozenset[str]:
        if not sentences:
            return frozenset()
        try:
            found = await self._store.learn_sentences(
                story.feed_id,
                text_hash(story.key),
                list(sentences),
                now,
                since=now - self._window,
                min_stories=self._min_stories,
            )
        except StorageError as exc:
            logger.warning("furniture of %s not learned from %s: %s", story.feed_id, story.key, exc)
            return frozenset()
        if 2 * len(found) > len(sentences):
            logger.debug(
                "%s repeats an earlier story of %s: nothing dropped", story.key, story.feed_id
            )
            return frozenset()
        if found:
            logger.debug(
                "%d furniture sentences of %s left out of %s", len(found), story.feed_id, story.key
            )
        return frozenset(sentences[h] for h in found if h in sentences)

    async def housekeep(self) -> int:
        """Forget sightings older than the window (run hourly); returns how many went."""
        try:
            pruned = await self._store.prune_sentences(self._clock.now() - self._window)
        except StorageError:
            logger.exception("could not prune old sentence sightings")
            return 0
        if pruned:
            logger.info(
                "furniture: forgot %d sentence sightings older than %s", pruned, self._window
            )
        return pruned
