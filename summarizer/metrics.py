"""ROUGE scores with bootstrap confidence intervals, for `summarizer.eval`.

ROUGE is Google's `rouge-score` package with Porter stemming; ROUGE-Lsum is computed on
newline-separated sentences (summary sentences joined with "\\n", the reference as given).
These are the settings the published Lead-3 and Lead-1 figures are reproduced with (see
`shared/research/summarization.md`). Scores are F1 x 100.

Confidence intervals are percentile bootstrap intervals of the mean over articles (1,000
resamples, fixed seed), so they are reproducible run to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


@dataclass(frozen=True)
class Score:
    """A mean F1 x 100 with its 95% bootstrap interval."""

    mean: float
    low: float
    high: float


class RougeScorer:
    """Per-article ROUGE-1/2/Lsum F1 (x100); build once, call for each pair."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer  # imports NLTK: slow, so only when scoring

        self._scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)

    def __call__(self, summary_sentences: Sequence[str], reference: str) -> dict[str, float]:
        """Score one summary against its reference (reference sentences `\\n`-separated)."""
        scores = self._scorer.score(reference, "\n".join(summary_sentences))
        return {name: 100.0 * scores[name].fmeasure for name in ROUGE_TYPES}


def bootstrap(
    values: Sequence[float],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Score:
    """Mean of `values` with a 95% percentile-bootstrap interval.

    Args:
        values: One score per article; must not be empty.
        resamples: Number of bootstrap resamples.
        seed: Seed of the resampling, for reproducible intervals.
    """
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("bootstrap needs at least one value")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Score(float(data.mean()), float(low), float(high))
