"""The budget as an optimisation: `summarizer.knapsack`."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from summarizer.base import Budget
from summarizer.budget import fit
from summarizer.knapsack import Value, candidates, choose


def _sentence(words: int, tag: str) -> str:
    return " ".join([tag, *(["word"] * (words - 2)), "end."])


def _additive(utilities: np.ndarray, penalties: np.ndarray | None = None) -> Value:
    """Sum of the chosen utilities minus the penalty of each chosen pair."""
    pair = np.zeros((len(utilities), len(utilities))) if penalties is None else penalties

    def value(pool: list[int], masks: np.ndarray) -> np.ndarray:
        u = utilities[pool]
        p = pair[np.ix_(pool, pool)] * (1 - np.eye(len(pool)))
        result: np.ndarray = masks @ u - 0.5 * np.einsum("mi,ij,mj->m", masks, p, masks)
        return result

    return value


def test_picks_the_better_set_where_greedy_fails() -> None:
    sentences = [_sentence(40, "a"), _sentence(30, "b"), _sentence(30, "c")]
    utilities = np.array([1.0, 0.8, 0.7])
    budget = Budget(max_words=60)
    greedy = fit(((i, sentences[i]) for i in np.argsort(-utilities)), budget)
    assert greedy == (sentences[0],)  # 40 words, and neither 30-word sentence fits after it
    chosen = choose(sentences, utilities, budget, _additive(utilities))
    assert chosen == (sentences[1], sentences[2])


def test_redundant_pairs_are_penalised() -> None:
    sentences = [_sentence(20, "a"), _sentence(20, "b"), _sentence(20, "c")]
    utilities = np.array([1.0, 0.9, 0.5])
    penalties = np.zeros((3, 3))
    penalties[0, 1] = penalties[1, 0] = 0.6  # a and b say the same thing
    chosen = choose(sentences, utilities, Budget(max_words=40), _additive(utilities, penalties))
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
    chosen = choose(sentences, utilities, budget, _additive(utilities, penalties))
    assert chosen
    positions = [sentences.index(s) for s in chosen]
    assert positions == sorted(positions)
    feasible = [
        subset
        for size in range(1, n + 1)
        for subset in itertools.combinations(range(n), size)
        if lengths[list(subset)].sum() <= budget.max_words
    ]
    if not feasible:  # nothing fits: the best sentence alone, the rule of summarizer.budget
        assert chosen == (sentences[int(np.argmax(utilities))],)
        return
    assert sum(len(s.split()) for s in chosen) <= budget.max_words

    def value(subset: tuple[int, ...]) -> float:
        pairs = itertools.combinations(subset, 2)
        return float(utilities[list(subset)].sum() - sum(penalties[i, j] for i, j in pairs))

    assert value(tuple(positions)) == pytest.approx(max(map(value, feasible)))


def test_a_sentence_count_budget_is_a_limit() -> None:
    sentences = [_sentence(50, f"s{i}") for i in range(6)]
    utilities = np.array([0.1, 0.5, 0.2, 0.9, 0.3, 0.05])
    chosen = choose(sentences, utilities, Budget(sentences=3), _additive(utilities))
    assert chosen == (sentences[1], sentences[3], sentences[4])
    assert choose(sentences, utilities, Budget(sentences=3), _additive(utilities - 0.4)) == (
        sentences[1],
        sentences[3],
    )


def test_the_pool_holds_the_best_sentences_and_the_lead() -> None:
    sentences = [_sentence(5, f"s{i}") for i in range(20)]
    scores = np.zeros(20)
    scores[[15, 17, 19]] = [1.0, 3.0, 2.0]
    pool, masks = candidates(sentences, scores, Budget(max_words=40), top_k=10)
    # The lead at 40 words (8 sentences of 5 words), then the best others up to top_k.
    assert pool == [*range(8), 17, 19]
    assert len(masks) and (masks.sum(axis=1) <= 8).all()
    lead = np.array([1.0] * 8 + [0.0] * 2)
    assert (masks == lead).all(axis=1).any()


def test_when_nothing_fits_the_best_sentence_is_kept_alone_and_max_chars_cuts_it() -> None:
    sentences = [_sentence(80, "long"), _sentence(70, "other")]
    utilities = np.array([0.9, 0.1])
    value = _additive(utilities)
    assert choose(sentences, utilities, Budget(max_words=60), value) == (sentences[0],)
    [cut] = choose(sentences, utilities, Budget(max_words=60, max_chars=50), value)
    assert len(cut) <= 50 and cut.endswith("…")


def test_max_chars_is_a_constraint_of_the_search() -> None:
    sentences = [_sentence(10, "a"), _sentence(10, "b"), _sentence(10, "c")]
    width = len(sentences[0])
    utilities = np.array([0.5, 0.4, 0.3])
    chosen = choose(sentences, utilities, Budget(max_chars=2 * width + 1), _additive(utilities))
    assert chosen == (sentences[0], sentences[1])
    assert len(" ".join(chosen)) <= 2 * width + 1


def test_headline_repeats_are_never_chosen() -> None:
    title = "Floods hit the valley town overnight"
    sentences = ["Floods hit the valley town overnight.", _sentence(12, "other")]
    utilities = np.array([0.9, 0.1])
    chosen = choose(sentences, utilities, Budget(), _additive(utilities), title=title)
    assert chosen == (sentences[1],)
    assert choose(sentences[:1], utilities[:1], Budget(), _additive(utilities), title=title) == ()
