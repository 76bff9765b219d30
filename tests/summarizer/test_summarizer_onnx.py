"""The ONNX Runtime encoder: same vectors as torch, offline, no torch at run time, and a
broken export cache is rebuilt with one log line."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from summarizer.base import BackendUnavailable
from summarizer.encoder import SentenceEncoder, default_model_dir
from summarizer.onnx_encoder import OnnxMiniLM, _model_key

SENTENCES = [
    "The council approved the budget on Tuesday after a four-hour debate.",
    "Rescue teams reached the village, 40 km north of the border, at dawn.",
    "Shares in the company fell 12% when the results were published.",
    'She said: "We will not stop until every family has a home."',
    "Rain.",
    "A very long sentence " + "with many more words in it " * 20 + "ends here.",
]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh export cache holding both exports, built once for this module."""
    directory = tmp_path_factory.mktemp("onnx-cache")
    OnnxMiniLM(default_model_dir(), quantized=True, num_threads=1, cache_dir=directory)
    return directory


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    """The reference vectors (torch fp32), computed once for this module."""
    return SentenceEncoder(backend="torch").encode(SENTENCES)


def _encode(model: OnnxMiniLM, sentences: list[str]) -> np.ndarray:
    return model.forward(model.tokenize(sentences, 64))


def test_fp32_onnx_matches_torch(
    cache: Path, torch_vectors: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBRIEF_ONNX_CACHE", str(cache))
    onnx_vectors = SentenceEncoder(backend="onnx").encode(SENTENCES)
    assert onnx_vectors.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(onnx_vectors, torch_vectors, atol=1e-4)


def test_int8_onnx_stays_close_to_torch(cache: Path, torch_vectors: np.ndarray) -> None:
    int8 = OnnxMiniLM(default_model_dir(), quantized=True, num_threads=1, cache_dir=cache)
    cosines = (torch_vectors * _encode(int8, SENTENCES)).sum(axis=1)
    assert cosines.min() > 0.9
    assert np.allclose(np.linalg.norm(_encode(int8, SENTENCES), axis=1), 1.0, atol=1e-5)


def test_same_word_pieces_as_the_transformers_tokenizer(cache: Path) -> None:
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(default_model_dir()), local_files_only=True)
    model = OnnxMiniLM(default_model_dir(), quantized=True, num_threads=1, cache_dir=cache)
    expected = reference(SENTENCES, truncation=True, max_length=32)["input_ids"]
    assert model.tokenize(SENTENCES, 32) == expected
    assert max(len(ids) for ids in model.tokenize(SENTENCES, 32)) == 32


def test_cached_export_loads_offline_without_torch(cache: Path) -> None:
    script = (
        "import sys\n"
        "from summarizer.encoder import SentenceEncoder\n"
        "vectors = SentenceEncoder().encode(['Rescue teams reached the village.'])\n"
        "print(vectors.shape, 'torch' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "NEWSBRIEF_ONNX_CACHE": str(cache),
        "NEWSBRIEF_ENCODER": "onnx-int8",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 384) False"


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_broken_cache_is_rebuilt_with_one_log_line(
    cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    export = copy / _model_key(default_model_dir()) / "model-int8-per-channel.onnx"
    if damage == "corrupt":
        export.write_bytes(b"not an onnx model")
    else:
        shutil.rmtree(export.parent)
    with caplog.at_level(logging.INFO, logger="summarizer.onnx_encoder"):
        model = OnnxMiniLM(default_model_dir(), quantized=True, num_threads=1, cache_dir=copy)
    vectors = _encode(model, SENTENCES[:2])
    assert vectors.shape == (2, 384)
    lines = [r for r in caplog.records if r.name == "summarizer.onnx_encoder"]
    assert len(lines) == 1
    if damage == "corrupt":
        assert lines[0].levelno == logging.WARNING
        assert "unreadable" in lines[0].getMessage() and "rebuilding" in lines[0].getMessage()
    else:
        assert "exporting sentence encoder to ONNX" in lines[0].getMessage()
    assert export.stat().st_size > 1_000_000


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(BackendUnavailable, match="unknown encoder backend 'gpu'"):
        SentenceEncoder(backend="gpu").load()
