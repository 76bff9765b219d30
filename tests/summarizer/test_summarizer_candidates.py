"""Features of candidate summaries: `summarizer.candidates`."""

from __future__ import annotations

import numpy as np
import pytest

from summarizer.base import Budget
from summarizer.candidates import SET_FEATURES, count_matrix, f1, set_features

SENTENCES = [
    "Floods closed the valley road on Monday after heavy rain.",
    "The valley road reopens on Friday, officials said.",
    "Heavy rain is forecast again for the valley next week.",
    "A local bakery won a national prize.",
]


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _features(masks: list[list[float]], budget: Budget) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    embeddings = _unit(rng.normal(size=(4, 8))).astype(np.float32)
    relevance = np.array([0.9, 0.5, 0.7, 0.1])
    rows = set_features(embeddings, SENTENCES, relevance, [0, 1, 2, 3], np.array(masks), budget)
    assert rows.shape == (len(masks), len(SET_FEATURES))
    assert np.isfinite(rows).all()
    return {name: rows[:, k] for k, name in enumerate(SET_FEATURES)}


def test_position_length_and_relevance_columns() -> None:
    columns = _features([[1, 1, 0, 0], [0, 0, 1, 1], [0, 1, 0, 0]], Budget(max_words=60))
    assert list(columns["has_first"]) == [1, 0, 0]
    assert list(columns["prefix"]) == [1, 0, 0]
    assert list(columns["two_sentences"]) == [1, 1, 0]
    words = [len(SENTENCES[0].split()) + len(SENTENCES[1].split())]
    assert columns["word_share"][0] == pytest.approx(words[0] / 60)
    assert columns["relevance_sum"][0] == pytest.approx(1.4)
    assert columns["relevance_min"][1] == pytest.approx(0.1)
    assert columns["max_pair_similarity"][2] == 0 == columns["mean_pair_similarity"][2]
    assert list(columns["over_budget"]) == [0, 0, 0]


def test_the_set_that_shares_the_article_words_covers_it_best() -> None:
    columns = _features([[1, 0, 1, 0], [0, 0, 0, 1]], Budget(sentences=3))
    assert columns["unigram_f1_rest"][0] > columns["unigram_f1_rest"][1] == 0
    assert columns["repeated_word_coverage"][0] > columns["repeated_word_coverage"][1]
    assert columns["sentence_share"][0] == pytest.approx(2 / 3)


def test_the_lead_columns_mark_the_first_n_sentences_for_a_sentence_budget() -> None:
    masks = [[1, 1, 0, 0], [1, 1, 1, 0], [1, 0, 1, 0], [0, 1, 1, 1], [1, 0, 0, 0]]
    columns = _features(masks, Budget(sentences=2))
    assert list(columns["is_lead"]) == [1, 0, 0, 0, 0]  # only sentences 0 and 1, exactly
    assert list(columns["lead_sentences"]) == [2, 2, 1, 1, 1]


def test_the_lead_of_a_short_article_is_all_of_it() -> None:
    embeddings = _unit(np.random.default_rng(1).normal(size=(2, 8))).astype(np.float32)
    masks = np.array([[1.0, 1.0], [1.0, 0.0]])
    rows = set_features(embeddings, SENTENCES[:2], np.ones(2), [0, 1], masks, Budget(sentences=3))
    assert list(rows[:, SET_FEATURES.index("is_lead")]) == [1, 0]


def test_the_lead_columns_are_zero_for_a_word_budget() -> None:
    columns = _features([[1, 1, 0, 0], [1, 0, 0, 0]], Budget(max_words=60))
    assert list(columns["is_lead"]) == [0, 0] == list(columns["lead_sentences"])


def test_ngram_f1() -> None:
    counts = count_matrix([["a", "b", "c"], ["a", "b", "d", "e"]], 2)
    assert counts.shape == (2, 4)
    value = f1(counts[:1], counts[1:])
    assert value[0] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert f1(np.zeros((1, 4)), counts[1:])[0] == 0
