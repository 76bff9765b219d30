"""Building summarisers by method name (summarizer.factory): chains, settings passed on, errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from summarizer import METHODS, Article, build_summarizer
from summarizer import factory as factory_module
from summarizer import seq2seq as seq2seq_module
from summarizer.base import BackendUnavailable
from summarizer.chain import ChainSummarizer
from summarizer.encoder import EMBEDDING_SIZE, SentenceEncoder
from summarizer.factory import DEFAULT_METHOD
from summarizer.seq2seq import DEFAULT_MODEL

STORY = Article(
    "Ferry timetable approved",
    "The harbour board approved a new ferry timetable on Monday. Sailings to the islands will "
    "double in summer. Fares stay the same until next year. Critics said the plan came late.",
)


class FakeEncoder(SentenceEncoder):
    """Needs no model: the vector of a sentence is the unit vector on its word count."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0
        self.encoded: list[list[str]] = []

    def load(self) -> None:
        self.loads += 1

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.encoded.append(list(sentences))
        out = np.zeros((len(sentences), EMBEDDING_SIZE), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            out[row, len(sentence.split()) % EMBEDDING_SIZE] = 1.0
        return out


class MissingEncoder(SentenceEncoder):
    """An encoder whose model is not there."""

    def __init__(self) -> None:
        super().__init__()
        self.loads = 0

    def load(self) -> None:
        self.loads += 1
        raise BackendUnavailable("no MiniLM here")


def chain_of(method: str, **kwargs: Any) -> ChainSummarizer:
    summarizer = build_summarizer(method, **kwargs)
    assert isinstance(summarizer, ChainSummarizer)
    return summarizer


def test_every_method_builds_a_chain_that_ends_with_lead() -> None:
    expected = {
        "lead": ("lead",),
        "embedding": ("embedding", "lead"),
        "learned": ("learned", "embedding", "lead"),
        "seq2seq": ("seq2seq", "embedding", "lead"),
    }
    assert set(METHODS) == set(expected)
    for method in METHODS:
        chain = chain_of(method, encoder=FakeEncoder())
        assert chain.name == method
        assert chain.methods == expected[method]


def test_the_default_method_is_learned() -> None:
    assert DEFAULT_METHOD == "learned"
    assert chain_of(DEFAULT_METHOD, encoder=FakeEncoder()).methods == (
        "learned",
        "embedding",
        "lead",
    )
    assert build_summarizer(encoder=FakeEncoder()).name == "learned"


@pytest.mark.parametrize("method", ["", "Lead", "bart", "textrank"])
def test_unknown_methods_are_rejected_with_the_choices(method: str) -> None:
    with pytest.raises(ValueError) as error:
        build_summarizer(method)
    assert str(error.value) == (
        f"unknown summarizer method {method!r}; choose one of lead, embedding, learned, seq2seq"
    )


def test_building_loads_nothing() -> None:
    encoder = MissingEncoder()
    for method in METHODS:
        build_summarizer(method, encoder=encoder)
    assert encoder.loads == 0


def test_the_given_encoder_is_the_one_the_embedding_backend_uses() -> None:
    encoder = FakeEncoder()
    [summary] = build_summarizer("embedding", encoder=encoder).summarize([STORY], sentences=2)
    assert summary.method == "embedding"
    assert len(encoder.encoded) == 1
    assert set(summary.sentences) <= set(encoder.encoded[0])


def test_learned_and_embedding_share_one_encoder(caplog: pytest.LogCaptureFixture) -> None:
    encoder = MissingEncoder()
    with caplog.at_level(logging.WARNING, logger="summarizer.chain"):
        [summary] = build_summarizer("learned", encoder=encoder).summarize([STORY])
    # Both model backends tried the one encoder and fell back; lead still answered.
    assert encoder.loads == 2
    assert summary.method == "lead"
    assert summary.text.startswith("The harbour board approved a new ferry timetable")
    warnings = [r.getMessage() for r in caplog.records]
    assert any("learned unavailable" in m and "no MiniLM here" in m for m in warnings)
    assert any("embedding unavailable" in m for m in warnings)


def test_model_and_threads_are_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    made: dict[str, Any] = {}

    def seq2seq(model: str | None, *, num_threads: int | None) -> Any:
        made["seq2seq"] = (model, num_threads)
        return type("Backend", (), {"name": "seq2seq"})()

    def encoder(*, num_threads: int | None) -> FakeEncoder:
        made["encoder"] = num_threads
        return FakeEncoder()

    monkeypatch.setattr(factory_module, "Seq2SeqBackend", seq2seq)
    monkeypatch.setattr(factory_module, "SentenceEncoder", encoder)
    build_summarizer("seq2seq", model="/models/tiny", num_threads=3)
    assert made == {"seq2seq": ("/models/tiny", 3), "encoder": 3}


def test_seq2seq_without_a_model_uses_the_default_model(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The default is replaced by a directory that is not there, so that no cached copy of
    # the real default model is ever loaded here.
    assert DEFAULT_MODEL == "sshleifer/distilbart-cnn-12-6"
    monkeypatch.setattr(seq2seq_module, "DEFAULT_MODEL", str(tmp_path / "default-model"))
    summarizer = build_summarizer("seq2seq", encoder=MissingEncoder())
    with caplog.at_level(logging.WARNING, logger="summarizer.chain"):
        [summary] = summarizer.summarize([STORY], sentences=1)
    assert summary.method == "lead"
    assert summary.text == "The harbour board approved a new ferry timetable on Monday."
    assert any(
        f"cannot load seq2seq model {tmp_path / 'default-model'}" in r.getMessage()
        for r in caplog.records
    )
