"""The embedding backend: extractive MiniLM centrality with MMR and a position prior.

Each article's first `max_sentences` cleaned sentences are embedded (`summarizer.encoder`,
all articles of a call in one length-sorted pass), ranked (`summarizer.scoring`), and the
budget is filled from the top of the ranking (`summarizer.budget.fit`). Output sentences
are article sentences, verbatim, in article order.

Only the first sentences are considered because news puts what matters first and the
encoder is the whole cost: a 600-word article has ~25 sentences, a long read 100+.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from summarizer.base import Budget, Document
from summarizer.budget import fit
from summarizer.encoder import SentenceEncoder
from summarizer.scoring import ScoringConfig, rank

DEFAULT_MAX_SENTENCES = 40


class EmbeddingBackend:
    """Extractive summaries ranked by sentence embeddings.

    Args:
        encoder: The sentence encoder (default: packaged MiniLM, loaded on first use).
        config: Ranking weights (default: the tuned ones).
        max_sentences: Sentences considered per article, from the top.
    """

    name = "embedding"

    def __init__(
        self,
        encoder: SentenceEncoder | None = None,
        *,
        config: ScoringConfig | None = None,
        max_sentences: int = DEFAULT_MAX_SENTENCES,
    ) -> None:
        self._encoder = encoder or SentenceEncoder()
        self._config = config or ScoringConfig()
        self._max_sentences = max_sentences

    def load(self) -> None:
        """Load the sentence encoder (raises `BackendUnavailable` when it cannot)."""
        self._encoder.load()

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        """Pick each document's most central sentences (see the module docstring)."""
        considered = [doc.sentences[: self._max_sentences] for doc in documents]
        embeddings = self._encoder.encode([s for sentences in considered for s in sentences])
        bounds = np.cumsum([0, *map(len, considered)])
        results: list[tuple[str, ...]] = []
        for doc, sentences, start, end in zip(
            documents, considered, bounds[:-1], bounds[1:], strict=True
        ):
            order = rank(embeddings[start:end], sentences, self._config)
            candidates = ((i, sentences[i]) for i in order)
            results.append(fit(candidates, budget, title=doc.title))
        return results
