"""Fitting a summary to its budget as an optimisation: the best set of whole sentences.

`summarizer.budget.fit` fills the budget greedily down a ranking, so one long sentence near
the top can crowd out two that together say more (the 36-word fact sentence of a report loses
to a 25-word editorial lede plus a short quote). `choose` instead scores every candidate
summary made of a small pool of sentences and keeps the best one that fits:

* the pool: the `top_k` highest-scored sentences, plus the article's first `lead` sentences
  and the lead summary (the first sentences that fit), so Lead-N is always a candidate;
* the candidates: every non-empty subset of the pool that fits the budget (at most
  `Budget.sentences` sentences, or at most `max_words` words) and at most `max_chars`
  characters joined with spaces; with a pool of 8 that is at most 255 subsets;
* the value of each candidate comes from the caller (`Value`: the learned backend scores the
  candidates as whole summaries, `summarizer.candidates`).

The rules of `summarizer.budget` still hold: never an empty summary, never a cut sentence,
article order, never a sentence that repeats the headline. When no candidate fits, the
best-scored sentence is kept alone (cut at a word boundary only when it alone exceeds
`max_chars`), exactly as the greedy fill does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from summarizer.base import Budget
from summarizer.budget import truncate
from summarizer.clean import repeats_headline
from summarizer.words import count_words

DEFAULT_TOP_K = 8
DEFAULT_LEAD = 3
MAX_POOL = 12  # 4,095 subsets: a lead of many short lines is cut to this

Value = Callable[[list[int], npt.NDArray[np.float64]], npt.NDArray[np.float64]]
"""`value(pool, masks)`: one value per row of `masks` (`(m, k)` 0/1 over the `k` ascending
sentence positions of `pool`); the highest wins."""


@cache
def _subsets(k: int) -> npt.NDArray[np.float64]:
    """All non-empty subsets of k items as a (2^k - 1, k) 0/1 matrix."""
    codes = np.arange(1, 2**k)[:, None]
    return ((codes >> np.arange(k)) & 1).astype(np.float64)


def _feasible(
    size: npt.NDArray[np.float64],
    words: npt.NDArray[np.float64],
    chars: npt.NDArray[np.float64],
    budget: Budget,
) -> npt.NDArray[np.bool_]:
    """Which sets (given their sentences, words and characters) fit the budget."""
    fits = size <= budget.sentences if budget.sentences is not None else words <= budget.max_words
    if budget.max_chars is not None:
        fits &= chars + size - 1 <= budget.max_chars
    result: npt.NDArray[np.bool_] = fits
    return result


def candidates(
    sentences: Sequence[str],
    scores: npt.NDArray[np.float64],
    budget: Budget,
    *,
    title: str = "",
    top_k: int = DEFAULT_TOP_K,
    lead: int = DEFAULT_LEAD,
) -> tuple[list[int], npt.NDArray[np.float64]]:
    """The pool and the feasible candidate summaries of one article (module docstring).

    Args:
        sentences: The article's sentences in article order.
        scores: `(n,)` score of each sentence (higher is better): what fills the pool.
        budget: The length limits.
        title: The cleaned headline; sentences that repeat it are never candidates.
        top_k: How many of the best-scored sentences join the pool.
        lead: How many of the first sentences always join the pool.

    Returns:
        `(pool, masks)`: ascending positions and one 0/1 row per feasible candidate
        (no rows when nothing fits).
    """
    eligible = [
        i for i in range(len(sentences)) if not (title and repeats_headline(sentences[i], title))
    ]
    if not eligible:
        return [], np.zeros((0, 0))
    words = np.array([count_words(s) for s in sentences], dtype=np.float64)
    chars = np.array([len(s) for s in sentences], dtype=np.float64)
    prefixes = np.arange(1, len(eligible) + 1, dtype=np.float64)
    fits = _feasible(prefixes, np.cumsum(words[eligible]), np.cumsum(chars[eligible]), budget)
    lead_size = int(np.cumprod(fits).sum())  # the lead summary: the first sentences that fit
    base = eligible[: min(MAX_POOL, max(lead, lead_size))]
    ranked = sorted(eligible, key=lambda i: -float(scores[i]))  # stable: earlier wins ties
    extra = [i for i in ranked if i not in base][: max(0, max(top_k, len(base)) - len(base))]
    pool = sorted(base + extra)
    masks = _subsets(len(pool))
    feasible = _feasible(masks.sum(axis=1), masks @ words[pool], masks @ chars[pool], budget)
    return pool, masks[feasible]


def choose(
    sentences: Sequence[str],
    scores: npt.NDArray[np.float64],
    budget: Budget,
    value: Value,
    *,
    title: str = "",
    top_k: int = DEFAULT_TOP_K,
    lead: int = DEFAULT_LEAD,
) -> tuple[str, ...]:
    """The summary sentences of one article, in article order.

    Args:
        sentences: The article's candidate sentences in article order.
        scores: `(n,)` score of each sentence (fills the pool; the fallback when none fits).
        budget: The length limits.
        value: Scores the candidate summaries (see `Value`).
        title: The cleaned headline; sentences that repeat it are never chosen.
        top_k: How many of the best-scored sentences the search considers.
        lead: How many of the first sentences it always considers.

    Returns:
        At least one sentence when there is any candidate.
    """
    pool, masks = candidates(sentences, scores, budget, title=title, top_k=top_k, lead=lead)
    if not pool:
        return ()
    if len(masks):
        best = masks[int(np.argmax(value(pool, masks)))]
        return tuple(sentences[pool[j]] for j in np.flatnonzero(best))
    # Nothing fits: the best-scored sentence alone, as the greedy fill does.
    alone = sentences[max(pool, key=lambda i: float(scores[i]))]
    if budget.max_chars is not None and len(alone) > budget.max_chars:
        alone = truncate(alone, budget.max_chars)
    return (alone,)
