"""ROUGE scores and bootstrap intervals (summarizer.metrics) against hand-computed values."""

from __future__ import annotations

import pytest

from summarizer.metrics import ROUGE_TYPES, RougeScorer, Score, bootstrap


@pytest.fixture(scope="module")
def scorer() -> RougeScorer:
    return RougeScorer()


def test_scores_are_the_three_rouge_types_as_percentages(scorer: RougeScorer) -> None:
    scores = scorer(["The ferry left the harbour."], "The ferry left the harbour.")
    assert tuple(scores) == ROUGE_TYPES
    assert scores == {"rouge1": 100.0, "rouge2": 100.0, "rougeLsum": 100.0}


def test_unigram_bigram_and_lcs_f1_by_hand(scorer: RougeScorer) -> None:
    # Reference: the cat sat on the mat (6 tokens, 5 bigrams).
    # Summary:   the cat lay on a mat   (6 tokens, 5 bigrams).
    # Unigram overlap (clipped counts): the, cat, on, mat = 4 -> P = R = 4/6, F1 = 66.67.
    # Bigram overlap: "the cat" = 1 -> P = R = 1/5, F1 = 20.
    # LCS: the cat on mat = 4 -> F1 = 66.67.
    scores = scorer(["the cat lay on a mat"], "the cat sat on the mat")
    assert scores["rouge1"] == pytest.approx(200 / 3)
    assert scores["rouge2"] == pytest.approx(20.0)
    assert scores["rougeLsum"] == pytest.approx(200 / 3)


def test_precision_and_recall_differ_when_lengths_differ(scorer: RougeScorer) -> None:
    # Summary of 2 tokens, both in the 4-token reference: P = 1, R = 1/2, F1 = 2/3.
    scores = scorer(["harbour closed"], "the harbour closed today")
    assert scores["rouge1"] == pytest.approx(200 / 3)
    # One shared bigram out of 1 in the summary and 3 in the reference: F1 = 2*1*(1/3)/(4/3).
    assert scores["rouge2"] == pytest.approx(50.0)


def test_porter_stemming_matches_inflected_forms(scorer: RougeScorer) -> None:
    # "councils voted" stems to "council vote", as does "council votes"; "the" is unmatched:
    # P = 2/3, R = 1, F1 = 80.
    scores = scorer(["The councils voted."], "council votes")
    assert scores["rouge1"] == pytest.approx(80.0)
    assert scores["rougeLsum"] == pytest.approx(80.0)


def test_rouge_lsum_takes_the_union_over_summary_sentences(scorer: RougeScorer) -> None:
    reference = "budget council vote"
    # As two sentences, "council vote" and "budget" each match part of the reference
    # sentence; their union covers it all.
    split = scorer(["council vote", "budget"], reference)
    assert split["rougeLsum"] == pytest.approx(100.0)
    # Run together as one sentence the longest common subsequence is only "council vote".
    joined = scorer(["council vote budget"], reference)
    assert joined["rougeLsum"] == pytest.approx(200 / 3)
    # ROUGE-1 ignores sentence boundaries.
    assert split["rouge1"] == joined["rouge1"] == pytest.approx(100.0)


def test_an_empty_summary_scores_zero(scorer: RougeScorer) -> None:
    assert scorer([], "council votes") == {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}


def test_unrelated_text_scores_zero(scorer: RougeScorer) -> None:
    scores = scorer(["Snow closed mountain passes."], "Bank raises interest rates.")
    assert scores == {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}


def test_bootstrap_of_a_constant_has_a_zero_width_interval() -> None:
    assert bootstrap([42.0, 42.0, 42.0]) == Score(42.0, 42.0, 42.0)
    assert bootstrap([7.5]) == Score(7.5, 7.5, 7.5)


def test_bootstrap_mean_is_the_plain_mean_and_inside_the_interval() -> None:
    values = [10.0, 20.0, 35.0, 40.0, 95.0]
    score = bootstrap(values)
    assert score.mean == pytest.approx(40.0)
    assert score.low < score.mean < score.high
    assert min(values) <= score.low and score.high <= max(values)


def test_bootstrap_of_two_extremes_spans_them() -> None:
    # Each resample mean of [0, 100] is 0, 50 or 100 (each extreme with probability 1/4),
    # so the 2.5th and 97.5th percentiles over 1,000 resamples are the extremes.
    assert bootstrap([0.0, 100.0]) == Score(50.0, 0.0, 100.0)


def test_bootstrap_is_reproducible_and_seeded() -> None:
    values = [3.0, 9.0, 14.0, 22.0, 30.0, 41.0, 57.0]
    assert bootstrap(values) == bootstrap(values)
    assert bootstrap(values, seed=1) == bootstrap(values, seed=1)
    assert bootstrap(values, seed=1) != bootstrap(values, seed=2)
    assert bootstrap(values, seed=2).mean == bootstrap(values).mean


def test_more_values_give_a_narrower_interval() -> None:
    few = bootstrap([0.0, 100.0] * 5)
    many = bootstrap([0.0, 100.0] * 200)
    assert few.mean == many.mean == 50.0
    assert many.high - many.low < few.high - few.low


def test_bootstrap_needs_values() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        bootstrap([])
