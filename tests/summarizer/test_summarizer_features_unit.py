"""The learned scorer's feature rows (summarizer.features), one surface feature at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from summarizer.features import SURFACE_FEATURES, sentence_features
from summarizer.scoring import lexical_centrality

DIM = 4


def unit_rows(rows: list[list[float]]) -> np.ndarray:
    vectors = np.array(rows, dtype=np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def spread(n: int) -> np.ndarray:
    """n distinct unit vectors in DIM dimensions (deterministic)."""
    rng = np.random.default_rng(n)
    return unit_rows(rng.normal(size=(n, DIM)).tolist())


def column(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, DIM + SURFACE_FEATURES.index(name)]


def features_of(sentences: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
    vectors = spread(len(sentences)) if embeddings is None else embeddings
    return sentence_features(vectors, sentences)


def test_rows_are_the_embedding_followed_by_the_surface_features() -> None:
    sentences = [f"Sentence {i} of the story." for i in range(5)]
    embeddings = spread(5)
    features = sentence_features(embeddings, sentences)
    assert features.shape == (5, DIM + len(SURFACE_FEATURES))
    assert features.dtype == np.float64
    np.testing.assert_allclose(features[:, :DIM], embeddings, rtol=1e-6)
    assert len(set(SURFACE_FEATURES)) == len(SURFACE_FEATURES)


def test_position_bins_are_one_hot() -> None:
    features = features_of([f"Line {i}." for i in range(20)])
    bins = features[:, DIM : DIM + 9]
    np.testing.assert_array_equal(bins.sum(axis=1), np.ones(20))
    hot = [SURFACE_FEATURES[int(np.argmax(row))] for row in bins]
    assert hot[:7] == [f"position_{i}" for i in range(7)]
    assert hot[6:9] == ["position_6"] * 3  # positions 6, 7, 8
    assert hot[9:15] == ["position_9"] * 6
    assert hot[15:] == ["position_15"] * 5


def test_relative_position_runs_from_zero_to_one() -> None:
    features = features_of([f"Line {i}." for i in range(5)])
    np.testing.assert_allclose(column(features, "relative_position"), [0, 0.25, 0.5, 0.75, 1])


def test_similarities_to_the_query_and_to_the_other_sentences() -> None:
    # Two sentences on one topic and one on another: the query (the normalised centroid)
    # leans to the shared topic.
    embeddings = unit_rows([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    features = features_of(["A.", "B.", "C."], embeddings)
    np.testing.assert_allclose(
        column(features, "query_similarity"), [2 / math.sqrt(5), 2 / math.sqrt(5), 1 / math.sqrt(5)]
    )
    np.testing.assert_allclose(column(features, "query_similarity_rank"), [0, 0.5, 1])
    np.testing.assert_allclose(column(features, "mean_similarity"), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(column(features, "max_similarity"), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(column(features, "first_similarity"), [1.0, 1.0, 0.0])


def test_a_headline_moves_the_query_towards_it() -> None:
    embeddings = unit_rows([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    sentences = ["A.", "B.", "C."]
    title = np.array([0, 1, 0, 0], dtype=np.float32)
    plain = sentence_features(embeddings, sentences)
    titled = sentence_features(embeddings, sentences, title)
    assert column(titled, "query_similarity")[2] > column(plain, "query_similarity")[2]
    assert column(titled, "query_similarity")[0] < column(plain, "query_similarity")[0]
    # Features that do not depend on the query are unchanged.
    np.testing.assert_array_equal(
        column(titled, "mean_similarity"), column(plain, "mean_similarity")
    )


def test_a_single_sentence_article_has_finite_features() -> None:
    features = features_of(["The only sentence of this short story."])
    assert np.isfinite(features).all()
    assert column(features, "relative_position")[0] == 0.0
    assert column(features, "max_similarity")[0] == 0.0
    assert column(features, "mean_similarity")[0] == 0.0


def test_length_features() -> None:
    short = "Rain fell."
    middle = " ".join(["word"] * 20) + "."
    long = " ".join(["word"] * 46) + "."
    features = features_of([short, middle, long])
    np.testing.assert_allclose(column(features, "log_words"), np.log1p([2, 20, 46]))
    np.testing.assert_array_equal(column(features, "short"), [1, 0, 0])
    np.testing.assert_array_equal(column(features, "long"), [0, 0, 1])


def test_number_features_count_digits_and_number_words() -> None:
    sentences = [
        "Two ships carried 5,000 tonnes and 3.5 million litres.",  # Two, 5,000, 3.5, million
        "Dozens, hundreds, thousands, 1, 2, 3 and 4 were counted.",  # seven, capped at five
        "Three people were hurt.",  # a number word, but no digit
        "Nobody was hurt.",
    ]
    features = features_of(sentences)
    np.testing.assert_array_equal(column(features, "numbers"), [4, 5, 1, 0])
    np.testing.assert_array_equal(column(features, "has_number"), [1, 1, 0, 0])


def test_names_are_capitalised_words_not_starting_a_sentence() -> None:
    sentences = [
        "Mayor Anna Berg met officials in Oslo.",  # Anna, Berg, Oslo
        'Rain fell. Then the "Harbour Board" met (Oslo).',  # not "Then": it follows a stop
        "nothing capitalised here at all.",
    ]
    features = features_of(sentences)
    np.testing.assert_array_equal(column(features, "names"), [3, 3, 0])
    np.testing.assert_allclose(column(features, "name_share"), [3 / 7, 3 / 8, 0])


def test_quote_question_and_attribution_flags() -> None:
    sentences = [
        '"We will rebuild," the mayor said.',
        "Who pays for the repairs?",
        "The board met, according to minutes.",
        "The ferry left at noon.",
    ]
    features = features_of(sentences)
    np.testing.assert_array_equal(column(features, "quote"), [1, 0, 0, 0])
    np.testing.assert_array_equal(column(features, "starts_with_quote"), [1, 0, 0, 0])
    np.testing.assert_array_equal(column(features, "question"), [0, 1, 0, 0])
    np.testing.assert_array_equal(column(features, "said"), [1, 0, 1, 0])


def test_curly_quotes_count_as_quotes() -> None:
    features = features_of(["“Not yet,” she told reporters.", "He said ‘soon’ twice."])
    np.testing.assert_array_equal(column(features, "quote"), [1, 1])
    np.testing.assert_array_equal(column(features, "starts_with_quote"), [1, 0])


def test_article_level_features() -> None:
    short = features_of([f"Line {i} of a short story." for i in range(5)])
    np.testing.assert_allclose(column(short, "log_sentences"), np.full(5, np.log1p(5)))
    np.testing.assert_array_equal(column(short, "short_article_lead"), [1, 1, 1, 0, 0])
    long = features_of([f"Line {i} of a long story." for i in range(13)])
    assert not column(long, "short_article_lead").any()


def test_lexical_centrality_column_is_the_scoring_term() -> None:
    sentences = ["Storm floods harbour.", "Storm closes harbour road.", "Mayor resigns."]
    features = features_of(sentences)
    np.testing.assert_allclose(
        column(features, "lexical_centrality"), lexical_centrality(sentences)
    )


@pytest.mark.parametrize("n", [2, 12])
def test_query_similarity_rank_is_a_permutation(n: int) -> None:
    ranks = column(features_of([f"Line {i}." for i in range(n)]), "query_similarity_rank")
    assert sorted(np.rint(ranks * (n - 1)).astype(int).tolist()) == list(range(n))
