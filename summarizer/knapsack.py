"""Fitting a summary to its budget as an optimisation: the best set of whole sentences.

`summarizer.budget.fit` fills the budget greedily down a ranking, so one long sentence near
the top can crowd out two that together say more (the 36-word fact sentence of a report loses
to a 25-word editorial lede plus a short quote). `choose` instead looks at every subset of the
`top_k` most useful candidates and keeps the one with the highest

    sum of utilities u_i  -  sum over chosen pairs i < j of penalty P_ij

(P is the redundancy of two sentences, e.g. a multiple of their cosine similarity) among the
subsets that fit: at most `max_words` words (or at most `Budget.sentences` sentences, where
the largest feasible size wins first) and at most `max_chars` characters joined with spaces.
With `top_k` = 10 that is 1,024 subsets scored in one numpy product: exact, and cheap.

The rules of `summarizer.budget` still hold: never an empty summary, never a cut sentence,
article order, never a sentence that repeats the headline. When the most useful sentence
alone is over the budget it is kept alone (cut at a word boundary only when it alone exceeds
`max_chars`), exactly as the greedy fill does.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from summarizer.base import Budget
from summarizer.budget import truncate
from summarizer.clean import repeats_headline
from summarizer.words import count_words

DEFAULT_TOP_K = 10


@cache
def _subsets(k: int) -> npt.NDArray[np.float64]:
    """All non-empty subsets of k items as a (2^k - 1, k) 0/1 matrix."""
    codes = np.arange(1, 2**k)[:, None]
    return ((codes >> np.arange(k)) & 1).astype(np.float64)


def best_subset(
    utilities: npt.NDArray[np.float64],
    penalties: npt.NDArray[np.float64],
    words: Sequence[int],
    chars: Sequence[int],
    budget: Budget,
) -> list[int]:
    """Indices of the best feasible subset (see the module docstring), ascending.

    Args:
        utilities: `(k,)` value of each candidate.
        penalties: `(k, k)` symmetric pair penalties (the diagonal is ignored).
        words: Words of each candidate.
        chars: Characters of each candidate.
        budget: The limits. Candidates must be few (2^k subsets are scored).

    Returns:
        The chosen indices, or [] when no non-empty subset fits.
    """
    k = len(utilities)
    if k == 0:
        return []
    masks = _subsets(k)
    pair = penalties * (1.0 - np.eye(k))
    value = masks @ utilities - 0.5 * np.einsum("mi,ij,mj->m", masks, pair, masks)
    size = masks.sum(axis=1)
    feasible = np.ones(len(masks), dtype=bool)
    if budget.sentences is not None:
        feasible &= size <= budget.sentences
    else:
        feasible &= masks @ np.asarray(words, dtype=np.float64) <= budget.max_words
    if budget.max_chars is not None:
        feasible &= masks @ np.asarray(chars, dtype=np.float64) + size - 1 <= budget.max_chars
    if not feasible.any():
        return []
    if budget.sentences is not None:  # as many sentences as asked for first, then value
        feasible &= size == size[feasible].max()
    best = int(np.argmax(np.where(feasible, value, -np.inf)))
    return [int(i) for i in np.flatnonzero(masks[best])]


def choose(
    sentences: Sequence[str],
    utilities: npt.NDArray[np.float64],
    penalties: npt.NDArray[np.float64],
    budget: Budget,
    *,
    title: str = "",
    top_k: int = DEFAULT_TOP_K,
) -> tuple[str, ...]:
    """The summary sentences of one article, in article order.

    Args:
        sentences: The article's candidate sentences in article order.
        utilities: `(n,)` value of each sentence (higher is better).
        penalties: `(n, n)` redundancy penalty of each pair.
        budget: The length limits.
        title: The cleaned headline; sentences that repeat it are never chosen.
        top_k: How many of the most useful sentences the exact search considers.

    Returns:
        At least one sentence when there is any candidate.
    """
    eligible = [
        i for i in range(len(sentences)) if not (title and repeats_headline(sentences[i], title))
    ]
    if not eligible:
        return ()
    # Stable sort: among equal utilities the earlier sentence wins.
    ranked = sorted(eligible, key=lambda i: -float(utilities[i]))[:top_k]
    words = [count_words(sentences[i]) for i in ranked]
    chars = [len(sentences[i]) for i in ranked]
    first_over = (budget.sentences is None and words[0] > budget.max_words) or (
        budget.max_chars is not None and chars[0] > budget.max_chars
    )
    picked: list[int] = []
    if not first_over:
        index = np.asarray(ranked)
        picked = best_subset(
            utilities[index].astype(np.float64),
            penalties[np.ix_(index, index)].astype(np.float64),
            words,
            chars,
            budget,
        )
    if not picked:  # the most useful sentence alone is over the budget: keep it alone
        best = sentences[ranked[0]]
        if budget.max_chars is not None and len(best) > budget.max_chars:
            best = truncate(best, budget.max_chars)
        return (best,)
    return tuple(sentences[i] for i in sorted(ranked[j] for j in picked))
