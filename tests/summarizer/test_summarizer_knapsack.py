"""The budget as an optimisation: `summarizer.knapsack`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from summarizer.base import Budget
from summarizer.budget import fit
from summarizer.knapsack import best_subset, choose


def _sentence(words: int, tag: str) -> str:
    return " ".join([tag, *(["word"] * (words - 2)), "end."])


def _no_penalty(n: int) -> np.ndarray:
    return np.zeros((n, n))


def test_picks_the_better_set_where_greedy_fails() -> None:
    sentences = [_sentence(40, "a"), _sentence(30, "b"), _sentence(30, "c")]
    utilities = np.array([1.0, 0.8, 0.7])
    budget = Budget(max_words=60)
    greedy = fit(((i, sentences[i]) for i in np.argsort(-utilities)), budget)
    assert greedy == (sentences[0],)  # 40 words, and neither 30-word sentence fits after it
    assert choose(sentences, utilities, _no_penalty(3), budget) == (sentences[1], sentences[2])


def test_redundant_pairs_are_penalised() -> None:
    sentences = [_sentence(20, "a"), _sentence(20, "b"), _sentence(20, "c")]
    utilities = np.array([1.0, 0.9, 0.5])
    penalties = np.zeros((3, 3))
    penalties[0, 1] = penalties[1, 0] = 0.6  # a and b say the same thing
    chosen = choose(sentences, utilities, penalties, Budget(max_words=40))
    assert chosen == (sentences[0], sentences[2])


@pytest.mark.parametrize("seed", range(30))
def test_never_over_budget_never_empty_in_article_order_and_optimal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    lengths = rng.integers(3, 40, size=n)
    sentences = [_sentence(int(w), f"s{i}") for i, w in enumerate(lengths)]
    utilities = rng.random(n)
    raw = rng.random((n, n)) * 0.3
    penalties = (raw + raw.T) / 2
    budget = Budget(max_words=int(rng.integers(10, 80)))
    chosen = choose(sentences, utilities, penalties, budget)
    assert chosen
    positions = [sentences.index(s) for s in chosen]
    assert positions == sorted(positions)
    words = sum(len(s.split()) for s in chosen)
    best = int(np.argmax(utilities))
    if lengths[best] > budget.max_words:
        assert chosen == (sentences[best],)  # the over-budget rule of summarizer.budget
        return
    assert words <= budget.max_words

    def value(subset: tuple[int, ...]) -> float:
        pairs = itertools.combinations(subset, 2)
        return float(utilities[list(subset)].sum() - sum(penalties[i, j] for i, j in pairs))

    feasible = [
        subset
        for size in range(1, n + 1)
        for subset in itertools.combinations(range(n), size)
        if lengths[list(subset)].sum() <= budget.max_words
    ]
    assert value(tuple(positions)) == pytest.approx(max(map(value, feasible)))


def test_sentence_count_budget_takes_exactly_that_many() -> None:
    sentences = [_sentence(50, f"s{i}") for i in range(6)]
    utilities = np.array([0.1, 0.5, 0.2, 0.9, 0.3, 0.05])
    chosen = choose(sentences, utilities, _no_penalty(6), Budget(sentences=3))
    assert chosen == (sentences[1], sentences[3], sentences[4])


def test_over_budget_best_sentence_is_kept_alone_and_max_chars_cuts_it() -> None:
    sentences = [_sentence(80, "long"), _sentence(10, "short")]
    utilities = np.array([0.9, 0.1])
    assert choose(sentences, utilities, _no_penalty(2), Budget(max_words=60)) == (sentences[0],)
    [cut] = choose(sentences, utilities, _no_penalty(2), Budget(max_words=60, max_chars=50))
    assert len(cut) <= 50 and cut.endswith("…")


def test_max_chars_is_a_constraint_of_the_search() -> None:
    sentences = [_sentence(10, "a"), _sentence(10, "b"), _sentence(10, "c")]
    width = len(sentences[0])
    chosen = choose(
        sentences, np.array([0.5, 0.4, 0.3]), _no_penalty(3), Budget(max_chars=2 * width + 1)
    )
    assert chosen == (sentences[0], sentences[1])
    assert len(" ".join(chosen)) <= 2 * width + 1


def test_headline_repeats_are_never_chosen() -> None:
    title = "Floods hit the valley town overnight"
    sentences = ["Floods hit the valley town overnight.", _sentence(12, "other")]
    chosen = choose(sentences, np.array([0.9, 0.1]), _no_penalty(2), Budget(), title=title)
    assert chosen == (sentences[1],)


def test_best_subset_reports_when_nothing_fits() -> None:
    picked = best_subset(np.array([1.0]), np.zeros((1, 1)), [70], [400], Budget(max_words=60))
    assert picked == []
