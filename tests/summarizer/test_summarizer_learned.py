"""The learned backend: shipped weights, the factory path, and the fact sentence of a report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_text import FACT_SENTENCE, TEXT, TITLE

from summarizer import Article, build_summarizer
from summarizer.base import BackendUnavailable, Budget
from summarizer.candidates import SET_FEATURES
from summarizer.encoder import SentenceEncoder
from summarizer.features import SURFACE_FEATURES
from summarizer.learned import WEIGHTS_PATH, ScorerWeights


def test_shipped_weights_load_offline_and_are_small() -> None:
    weights = ScorerWeights.load()
    assert WEIGHTS_PATH.stat().st_size < 5_000_000
    assert weights.sentences.weights.shape == (384 + len(SURFACE_FEATURES),)
    for model in (weights.by_count, weights.by_words):
        assert model.weights.shape == model.mean.shape == (len(SET_FEATURES),)
    for model in (weights.sentences, weights.by_count, weights.by_words):
        assert np.isfinite(model.weights).all() and np.abs(model.weights).sum() > 0
    assert weights.for_budget(Budget(sentences=3)) is weights.by_count
    assert weights.for_budget(Budget(max_words=60)) is weights.by_words


def test_unreadable_or_foreign_weights_are_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "weights.npz"
    bad.write_bytes(b"not a weights file")
    with pytest.raises(BackendUnavailable, match="cannot read scorer weights"):
        ScorerWeights.load(bad)
    weights = ScorerWeights.load()
    with np.load(WEIGHTS_PATH) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["set_features"] = arrays["set_features"][:-1]
    np.savez(bad, **arrays)
    with pytest.raises(BackendUnavailable, match="do not match"):
        ScorerWeights.load(bad)
    weights.save(bad)
    assert ScorerWeights.load(bad).top_k == weights.top_k


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
