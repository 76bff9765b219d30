"""``ModelSummarizer``: the ``Summarizer`` port over the independent ``summarizer`` package.

Summarising is CPU-bound (a transformer encoder for the default method), so it runs in a worker
thread behind a semaphore and the event loop that serves Telegram and Discord never stalls.
Stories are summarised in batches (the backend batches sentences across articles). The model
loads lazily, once per process, on the first call. Each story is summarised once: the brief is
stored and shared by every chat that receives it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.core.models import Story
from bot.core.ports import Summarised
from summarizer import Article, build_summarizer
from summarizer.encoder import SentenceEncoder

logger = logging.getLogger(__name__)

SUMMARY_MAX_CHARS = 900
"""Hard cap of a summary, well inside every platform's limit (Telegram 4096, Discord 4096)."""


def story_text(story: Story) -> str:
    """The richest text the story has: full content, else the feed's summary.

    A headline-only entry gives "" (its brief is the headline, source and link): passing the
    title as the text would only have the cleaner drop it again as a repeated headline.
    """
    if len(story.content_html) > len(story.summary):
        return story.content_html
    return story.summary


class ModelSummarizer:
    """Summarises stories off the event loop."""

    def __init__(
        self,
        method: str,
        *,
        model: str | None,
        max_words: int,
        concurrency: int = 1,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self._impl = build_summarizer(method, model=model, encoder=encoder)
        self._max_words = max_words
        self._limit = asyncio.Semaphore(concurrency)

    async def summarize(
        self, stories: Sequence[Story], *, drop: Sequence[frozenset[str]] | None = None
    ) -> list[Summarised]:
        """One headline and summary per story; ``drop``: per story, sentences (as
        ``summarizer.clean.sentence_key`` gives them) to leave out (see ``bot.furniture``)."""
        drops = list(drop) if drop is not None else [frozenset()] * len(stories)
        articles = [
            Article(title=s.title, text=story_text(s), drop=d)
            for s, d in zip(stories, drops, strict=True)
        ]
        async with self._limit:
            made = await asyncio.to_thread(
                self._impl.summarize,
                articles,
                max_words=self._max_words,
                max_chars=SUMMARY_MAX_CHARS,
            )
        return [
            Summarised(title=m.title or s.title, summary=m.text)
            for s, m in zip(stories, made, strict=True)
        ]
