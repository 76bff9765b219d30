"""The learned backend (the default): sentences and whole candidate summaries
scored by small trained models, the budget as a search over the candidates.

Each article's first `max_sentences` cleaned sentences (and its headline, when there is one)
are embedded by MiniLM in one pass for the whole batch (`summarizer.encoder`); everything
after that is numpy, in two steps, both linear models over standardised features trained on
the development data against ROUGE (`bench/train_scorer.py`, weights in `scorer_weights.npz`
beside this module, a few kilobytes):

1. **Sentences**: `summarizer.features` turns each sentence into a row of position, length,
   numbers, names, quotes and similarity to the article (and the headline); the sentence
   scorer ranks them, and its `top_k` best join the first sentences of the article (and its
   lead summary) in a small pool (`summarizer.knapsack.candidates`).
2. **Summaries**: every subset of the pool that fits the budget is a candidate summary;
   `summarizer.candidates` describes each as a whole (coverage of the article, repetition,
   relevance, position, length used, whether it is the lead) and the set scorer for the kind
   of budget (a number of sentences, or words) picks the best one. ROUGE rewards the right
   set, not the best sentences one by one, which is why the set is what is scored.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from summarizer.base import BackendUnavailable, Budget, Document
from summarizer.candidates import SET_FEATURES, set_features
from summarizer.encoder import SentenceEncoder
from summarizer.features import SURFACE_FEATURES, sentence_features
from summarizer.knapsack import choose
from summarizer.scoring import ScoringConfig, relevance

DEFAULT_MAX_SENTENCES = 40
WEIGHTS_PATH = Path(__file__).with_name("scorer_weights.npz")
_MODELS = ("sentences", "by_count", "by_words")


@dataclass(frozen=True)
class Linear:
    """A linear model over standardised rows.

    Attributes:
        mean: `(d,)` feature means of the training rows.
        scale: `(d,)` feature standard deviations (1 where a feature is constant).
        weights: `(d,)` weights of the standardised features.
    """

    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]

    def score(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The score of each row (higher: better)."""
        result: npt.NDArray[np.float64] = ((rows - self.mean) / self.scale) @ self.weights
        return result


@dataclass(frozen=True)
class ScorerWeights:
    """The trained models and the pool size.

    Attributes:
        sentences: Scores sentences (`features.sentence_features` rows).
        by_count: Scores candidate summaries (`candidates.set_features` rows) when the budget
            is a number of sentences.
        by_words: The same for word budgets.
        top_k: Best-scored sentences that join the pool of candidates.
    """

    sentences: Linear
    by_count: Linear
    by_words: Linear
    top_k: int

    def score(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The sentence score of each row of `features`."""
        return self.sentences.score(features)

    def for_budget(self, budget: Budget) -> Linear:
        """The set scorer for this kind of budget."""
        return self.by_count if budget.sentences is not None else self.by_words

    def save(self, path: Path) -> None:
        """Write the weights as an uncompressed .npz (no pickled objects)."""
        arrays = {
            f"{name}_{part}": getattr(getattr(self, name), part)
            for name in _MODELS
            for part in ("mean", "scale", "weights")
        }
        np.savez(
            path,
            **arrays,
            top_k=np.array(self.top_k),
            features=np.array(SURFACE_FEATURES),
            set_features=np.array(SET_FEATURES),
        )

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH) -> ScorerWeights:
        """Read weights written by `save`.

        Raises:
            BackendUnavailable: Missing or unreadable file, or weights for other features.
        """
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
            names = tuple(str(name) for name in arrays["features"])
            set_names = tuple(str(name) for name in arrays["set_features"])
            models = [
                Linear(*(arrays[f"{name}_{part}"] for part in ("mean", "scale", "weights")))
                for name in _MODELS
            ]
            weights = cls(models[0], models[1], models[2], int(arrays["top_k"]))
        except (OSError, KeyError, ValueError) as exc:
            raise BackendUnavailable(f"cannot read scorer weights {path}: {exc}") from exc
        shapes_match = all(m.weights.shape == m.mean.shape for m in models)
        if names != SURFACE_FEATURES or set_names != SET_FEATURES or not shapes_match:
            raise BackendUnavailable(f"scorer weights {path} do not match this version's features")
        return weights


def select(
    document: Document,
    embeddings: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float64],
    weights: ScorerWeights,
    budget: Budget,
) -> tuple[str, ...]:
    """Choose one document's summary sentences from its sentence scores (module docstring)."""
    sentences = document.sentences[: len(scores)]
    relevances = relevance(embeddings, sentences, ScoringConfig())
    model = weights.for_budget(budget)

    def value(pool: list[int], masks: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return model.score(set_features(embeddings, sentences, relevances, pool, masks, budget))

    return choose(sentences, scores, budget, value, title=document.title, top_k=weights.top_k)


class LearnedBackend:
    """Extractive summaries ranked by the trained sentence scorer.

    Args:
        encoder: The sentence encoder (default: packaged MiniLM, loaded on first use).
        weights: The scorer (default: the shipped `scorer_weights.npz`, read on `load`).
        max_sentences: Sentences considered per article, from the top.
    """

    name = "learned"

    def __init__(
        self,
        encoder: SentenceEncoder | None = None,
        *,
        weights: ScorerWeights | None = None,
        max_sentences: int = DEFAULT_MAX_SENTENCES,
    ) -> None:
        self._encoder = encoder or SentenceEncoder()
        self._weights = weights
        self._max_sentences = max_sentences
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the weights and load the encoder (raises `BackendUnavailable` when it cannot)."""
        with self._lock:
            if self._weights is None:
                self._weights = ScorerWeights.load()
        self._encoder.load()

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        """Pick each document's best sentences within the budget (see the module docstring)."""
        self.load()
        weights = self._weights
        assert weights is not None
        considered = [doc.sentences[: self._max_sentences] for doc in documents]
        titles = [doc.title for doc in documents if doc.title]
        flat = self._encoder.encode([s for sentences in considered for s in sentences] + titles)
        bounds = np.cumsum([0, *map(len, considered)])
        title_vectors = iter(flat[bounds[-1] :])
        results: list[tuple[str, ...]] = []
        for doc, start, end in zip(documents, bounds[:-1], bounds[1:], strict=True):
            embeddings = flat[start:end]
            title = next(title_vectors) if doc.title else None
            features = sentence_features(embeddings, doc.sentences[: end - start], title)
            scores = weights.score(features)
            results.append(select(doc, embeddings, scores, weights, budget))
        return results
