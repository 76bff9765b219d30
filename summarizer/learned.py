"""The learned backend (selectable, not the default): sentences scored by a small trained model,
budget as a knapsack.

Each article's first `max_sentences` cleaned sentences (and its headline, when there is one)
are embedded by MiniLM in one pass for the whole batch (`summarizer.encoder`); everything
after that is numpy. `summarizer.features` turns each sentence into a row of its embedding plus
position, length, numbers, names, quotes and similarity to the article (and the headline); the
scorer is a linear model over the standardised rows, trained to rank the sentences of an
article by their ROUGE against the reference summary (`bench/train_scorer.py`, weights in
`scorer_weights.npz` beside this module, a few kilobytes).

Selection turns the scores into utilities (a softmax over the article's sentences, so one
article's scale does not matter) and picks the best set of whole sentences within the budget
with `summarizer.knapsack.choose`, where two chosen sentences cost `redundancy` x their
cosine similarity x the smaller of their utilities (what the weaker one repeats is not news).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from summarizer.base import BackendUnavailable, Budget, Document
from summarizer.encoder import SentenceEncoder
from summarizer.features import SURFACE_FEATURES, sentence_features
from summarizer.knapsack import choose

DEFAULT_MAX_SENTENCES = 40
WEIGHTS_PATH = Path(__file__).with_name("scorer_weights.npz")


@dataclass(frozen=True)
class ScorerWeights:
    """A trained scorer: standardisation, linear weights and the selection settings.

    Attributes:
        mean: `(d,)` feature means of the training rows.
        scale: `(d,)` feature standard deviations (1 where a feature is constant).
        weights: `(d,)` weights of the standardised features.
        temperature: Scores are divided by it before the softmax that gives utilities.
        redundancy: Weight of the pair penalty in the knapsack.
        top_k: Candidates the knapsack considers.
    """

    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    temperature: float
    redundancy: float
    top_k: int

    def score(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The score of each row of `features` (higher: more summary-worthy)."""
        result: npt.NDArray[np.float64] = ((features - self.mean) / self.scale) @ self.weights
        return result

    def save(self, path: Path) -> None:
        """Write the weights as an uncompressed .npz (no pickled objects)."""
        np.savez(
            path,
            mean=self.mean,
            scale=self.scale,
            weights=self.weights,
            settings=np.array([self.temperature, self.redundancy, self.top_k]),
            features=np.array(SURFACE_FEATURES),
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
            temperature, redundancy, top_k = (float(v) for v in arrays["settings"])
            weights = cls(
                arrays["mean"], arrays["scale"], arrays["weights"], temperature, redundancy,
                int(top_k),
            )  # fmt: skip
        except (OSError, KeyError, ValueError) as exc:
            raise BackendUnavailable(f"cannot read scorer weights {path}: {exc}") from exc
        if names != SURFACE_FEATURES or weights.weights.shape != weights.mean.shape:
            raise BackendUnavailable(f"scorer weights {path} do not match this version's features")
        return weights


def utilities(scores: npt.NDArray[np.float64], temperature: float) -> npt.NDArray[np.float64]:
    """Softmax of `scores / temperature`: one article's utilities, summing to 1."""
    z = scores / temperature
    e = np.exp(z - z.max())
    result: npt.NDArray[np.float64] = e / e.sum()
    return result


def select(
    document: Document,
    embeddings: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float64],
    weights: ScorerWeights,
    budget: Budget,
) -> tuple[str, ...]:
    """Choose one document's summary sentences from its sentence scores (module docstring)."""
    sentences = document.sentences[: len(scores)]
    u = utilities(scores, weights.temperature)
    vectors = embeddings.astype(np.float64)
    similarity = np.clip(vectors @ vectors.T, 0.0, 1.0)
    penalties = weights.redundancy * similarity * np.minimum.outer(u, u)
    return choose(sentences, u, penalties, budget, title=document.title, top_k=weights.top_k)


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
