"""The learned backend: shipped weights, the factory path, and the fact sentence of a report."""

from __future__ import annotations

import numpy as np
from report_text import FACT_SENTENCE, TEXT, TITLE

from summarizer import Article, build_summarizer
from summarizer.encoder import SentenceEncoder
from summarizer.features import SURFACE_FEATURES
from summarizer.learned import WEIGHTS_PATH, ScorerWeights


def test_shipped_weights_load_offline_and_are_small() -> None:
    weights = ScorerWeights.load()
    assert WEIGHTS_PATH.stat().st_size < 5_000_000
    assert weights.weights.shape == weights.mean.shape == (384 + len(SURFACE_FEATURES),)
    assert np.isfinite(weights.weights).all() and np.abs(weights.weights).sum() > 0


def test_learned_end_to_end_through_the_factory(encoder: SentenceEncoder) -> None:
    summarizer = build_summarizer("learned", encoder=encoder)
    [summary] = summarizer.summarize([Article(TITLE, TEXT)], max_words=60)
    assert summary.method == "learned"
    assert summary.sentences and len(summary.text.split()) <= 60
    assert all(sentence in TEXT for sentence in summary.sentences)


def test_a_report_with_an_editorial_lede_keeps_its_fact_sentence_in_60_words(
    encoder: SentenceEncoder,
) -> None:
    summarizer = build_summarizer("learned", encoder=encoder)
    [summary] = summarizer.summarize([Article(TITLE, TEXT)], max_words=60)
    assert FACT_SENTENCE in summary.sentences
    assert len(summary.text.split()) <= 60
