"""Sentence ranking of the embedding backend (summarizer.scoring), term by term."""

from __future__ import annotations

import math

import numpy as np
import pytest

from summarizer.scoring import ScoringConfig, lexical_centrality, rank, relevance

# Every term switched off; each test switches on the one it checks.
NOTHING = ScoringConfig(
    lead_weight=0.0, lexical_weight=0.0, length_weight=0.0, redundancy=0.0, length_saturation=20
)


def unit_rows(*rows: list[float]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def test_lexical_centrality_by_hand() -> None:
    sentences = [
        "Storm floods harbour.",  # storm 2, floods 1, harbour 2: (2+1+2) / (4*3)
        "Storm closes harbour road.",  # storm 2, closes 1, harbour 2, road 1: 6 / (4*4)
        "Mayor resigns.",  # mayor 1, resigns 1: 2 / (4*2)
        "It was so.",  # no content words
    ]
    np.testing.assert_allclose(lexical_centrality(sentences), [5 / 12, 6 / 16, 2 / 8, 0.0])


def test_lexical_centrality_counts_a_word_once_per_sentence() -> None:
    # "harbour" twice in the first sentence still counts one sentence containing it.
    scores = lexical_centrality(["Harbour harbour harbour.", "Harbour reopened."])
    np.testing.assert_allclose(scores, [2 / 2, (2 + 1) / (2 * 2)])


def test_lexical_centrality_of_no_sentences_is_empty() -> None:
    assert lexical_centrality([]).shape == (0,)


def test_centrality_is_the_cosine_to_the_normalised_centroid() -> None:
    embeddings = unit_rows([1, 0], [1, 0], [0, 1])
    # Centroid (2, 1) / sqrt(5).
    scores = relevance(embeddings, ["a", "b", "c"], NOTHING)
    np.testing.assert_allclose(scores, [2 / math.sqrt(5), 2 / math.sqrt(5), 1 / math.sqrt(5)])


def test_zero_embeddings_give_zero_centrality_not_nan() -> None:
    scores = relevance(np.zeros((2, 4), dtype=np.float32), ["a", "b"], NOTHING)
    np.testing.assert_array_equal(scores, [0.0, 0.0])


def test_lead_prior_is_a_flat_window_that_falls_off() -> None:
    config = ScoringConfig(
        lead_weight=1.0, lead_sentences=2.0, lead_sharpness=4.0, lexical_weight=0.0,
        length_weight=0.0,
    )  # fmt: skip
    sentences = ["s"] * 5
    lead = relevance(np.zeros((5, 3), dtype=np.float32), sentences, config)
    expected = [1 / (1 + math.exp(4.0 * (i - 2 + 0.5))) for i in range(5)]
    np.testing.assert_allclose(lead, expected)
    assert lead[0] > 0.99 and lead[1] > 0.85  # inside the window
    assert lead[2] < 0.15 and lead[4] < 1e-4  # after it
    # Symmetric around the window's edge: positions 1 and 2 sum to one.
    assert lead[1] + lead[2] == pytest.approx(1.0)


def test_length_term_saturates() -> None:
    config = ScoringConfig(
        lead_weight=0.0, lexical_weight=0.0, length_weight=1.0, length_saturation=4
    )
    sentences = ["two words", "now four words here", "a much longer sentence of ten words in all"]
    scores = relevance(np.zeros((3, 2), dtype=np.float32), sentences, config)
    np.testing.assert_allclose(scores, [0.5, 1.0, 1.0])


def test_relevance_adds_the_weighted_terms() -> None:
    embeddings = unit_rows([1, 0], [0, 1])
    sentences = ["Harbour closed today.", "Harbour reopened."]
    config = ScoringConfig(
        lead_weight=0.5, lead_sentences=1.0, lead_sharpness=1.0, lexical_weight=2.0,
        length_weight=0.3, length_saturation=3,
    )  # fmt: skip
    centrality = 1 / math.sqrt(2)
    lexical = lexical_centrality(sentences)
    lead = [1 / (1 + math.exp(-0.5)), 1 / (1 + math.exp(0.5))]
    length = [1.0, 2 / 3]
    expected = [centrality + 2.0 * lexical[i] + 0.5 * lead[i] + 0.3 * length[i] for i in range(2)]
    np.testing.assert_allclose(relevance(embeddings, sentences, config), expected)


def test_rank_without_redundancy_is_by_relevance() -> None:
    embeddings = unit_rows([1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0])
    sentences = ["a", "b", "c", "d"]
    scores = relevance(embeddings, sentences, NOTHING)
    order = rank(embeddings, sentences, NOTHING)
    assert order == sorted(range(4), key=lambda i: (-scores[i], i))


def test_redundancy_pushes_a_duplicate_down() -> None:
    embeddings = unit_rows([1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1])
    sentences = [
        "Storm floods harbour town at dawn.",
        "Storm floods harbour town at dawn again.",
        "Mayor resigns.",
        "Ferry sails.",
    ]
    assert rank(embeddings, sentences, ScoringConfig(redundancy=0.0)) == [0, 1, 2, 3]
    # With the default penalty the near-copy of the first pick falls behind a new topic.
    assert rank(embeddings, sentences, ScoringConfig()) == [0, 2, 1, 3]


def test_rank_returns_each_position_once() -> None:
    rng = np.random.default_rng(3)
    embeddings = unit_rows(*rng.normal(size=(9, 5)).tolist())
    order = rank(embeddings, [f"Sentence number {i} here." for i in range(9)], ScoringConfig())
    assert sorted(order) == list(range(9))


def test_rank_limit_stops_early_with_the_same_head() -> None:
    rng = np.random.default_rng(7)
    embeddings = unit_rows(*rng.normal(size=(6, 4)).tolist())
    sentences = [f"Sentence {i} about the harbour." for i in range(6)]
    full = rank(embeddings, sentences, ScoringConfig())
    assert rank(embeddings, sentences, ScoringConfig(), limit=2) == full[:2]
    assert rank(embeddings, sentences, ScoringConfig(), limit=50) == full


def test_ties_go_to_the_earlier_sentence() -> None:
    embeddings = unit_rows([1, 0], [1, 0], [1, 0])
    assert rank(embeddings, ["x", "x", "x"], NOTHING) == [0, 1, 2]


def test_rank_of_no_sentences_is_empty() -> None:
    assert rank(np.zeros((0, 384), dtype=np.float32), [], ScoringConfig()) == []
