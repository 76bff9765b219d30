"""Where the ONNX export is cached and when it is rebuilt (summarizer.onnx_encoder), with the
export, quantisation and session replaced by stand-ins: no model is exported here."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from summarizer import onnx_encoder
from summarizer.base import BackendUnavailable
from summarizer.encoder import default_model_dir
from summarizer.onnx_encoder import OnnxMiniLM, _build, _model_key, default_cache_dir

FP32, INT8 = "model.onnx", "model-int8-per-channel.onnx"


def test_cache_dir_setting_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSBRIEF_ONNX_CACHE", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"


def test_cache_dir_under_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NEWSBRIEF_ONNX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "newsbrief" / "onnx"


def test_cache_dir_defaults_to_the_home_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NEWSBRIEF_ONNX_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "newsbrief" / "onnx"


def fake_model(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
    (directory / "model.safetensors").write_bytes(b"weights" * 10)
    return directory


def test_model_key_is_stable_and_names_the_weights(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m")
    key = _model_key(model)
    assert key == _model_key(model) and len(key) == 16
    assert _model_key(fake_model(tmp_path / "other")) != key  # another directory


def test_model_key_changes_when_the_weights_change(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m")
    before = _model_key(model)
    (model / "model.safetensors").write_bytes(b"new weights, other size")
    resized = _model_key(model)
    assert resized != before
    stat = (model / "model.safetensors").stat()
    os.utime(model / "model.safetensors", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _model_key(model) != resized  # same size, newer file


def test_model_key_ignores_files_that_are_not_weights(tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m")
    before = _model_key(model)
    (model / "README.md").write_text("notes", encoding="utf-8")
    assert _model_key(model) == before


class Recorder:
    """Stand-ins for the export, the quantisation and the onnxruntime session."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.exports: list[Path] = []
        self.quantized: list[tuple[Path, Path]] = []
        self.sessions: list[tuple[Path, int]] = []
        monkeypatch.setattr(onnx_encoder, "_export_fp32", self.export)
        monkeypatch.setattr(onnx_encoder, "_quantize", self.quantize)
        monkeypatch.setattr(onnx_encoder, "_session", self.session)

    def export(self, model_dir: Path, target: Path) -> None:
        self.exports.append(target)
        target.write_bytes(b"fp32 graph")

    def quantize(self, source: Path, target: Path) -> None:
        assert source.read_bytes() == b"fp32 graph"
        self.quantized.append((source, target))
        target.write_bytes(b"int8 graph")

    def session(self, path: Path, num_threads: int) -> Any:
        if path.read_bytes() == b"garbage":
            raise RuntimeError("INVALID_PROTOBUF: cannot parse\nsecond line")
        self.sessions.append((path, num_threads))
        return object()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    return Recorder(monkeypatch)


def test_int8_build_exports_then_quantises_atomically(tmp_path: Path, recorder: Recorder) -> None:
    target = _build(tmp_path, tmp_path / "cache", INT8)
    assert target == tmp_path / "cache" / INT8
    assert target.read_bytes() == b"int8 graph"
    assert (tmp_path / "cache" / FP32).read_bytes() == b"fp32 graph"
    # Both were written in a scratch directory inside the cache, then moved in place.
    assert all(staged.parent.parent == tmp_path / "cache" for staged in recorder.exports)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [INT8, FP32]


def test_int8_build_reuses_a_usable_fp32_export(tmp_path: Path, recorder: Recorder) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FP32).write_bytes(b"fp32 graph")
    _build(tmp_path, cache, INT8)
    assert recorder.exports == []
    assert [source for source, _ in recorder.quantized] == [cache / FP32]


def test_an_empty_fp32_export_is_exported_again(tmp_path: Path, recorder: Recorder) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FP32).write_bytes(b"")
    _build(tmp_path, cache, INT8)
    assert len(recorder.exports) == 1
    assert (cache / FP32).read_bytes() == b"fp32 graph"


def test_fp32_build_does_not_quantise(tmp_path: Path, recorder: Recorder) -> None:
    _build(tmp_path, tmp_path / "cache", FP32)
    assert len(recorder.exports) == 1 and recorder.quantized == []
    assert not (tmp_path / "cache" / INT8).exists()


def test_the_export_lands_in_the_cache_keyed_by_model(tmp_path: Path, recorder: Recorder) -> None:
    model = default_model_dir()
    encoder = OnnxMiniLM(model, quantized=True, num_threads=2, cache_dir=tmp_path)
    assert encoder.path == tmp_path / _model_key(model) / INT8
    assert recorder.sessions == [(encoder.path, 2)]
    fp32 = OnnxMiniLM(model, quantized=False, num_threads=1, cache_dir=tmp_path)
    assert fp32.path == tmp_path / _model_key(model) / FP32
    assert len(recorder.exports) == 1  # the int8 build already exported fp32


def test_a_cached_export_is_opened_without_building(tmp_path: Path, recorder: Recorder) -> None:
    model = default_model_dir()
    OnnxMiniLM(model, quantized=True, num_threads=1, cache_dir=tmp_path)
    recorder.exports.clear()
    recorder.quantized.clear()
    OnnxMiniLM(model, quantized=True, num_threads=1, cache_dir=tmp_path)
    assert recorder.exports == [] and recorder.quantized == []
    assert len(recorder.sessions) == 2


def test_an_unreadable_export_is_rebuilt_with_a_short_warning(
    tmp_path: Path, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    model = default_model_dir()
    path = tmp_path / _model_key(model) / INT8
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    (path.parent / "stale-leftover").write_bytes(b"x")
    OnnxMiniLM(model, quantized=True, num_threads=1, cache_dir=tmp_path)
    assert path.read_bytes() == b"int8 graph"
    assert len(recorder.exports) == 1 and len(recorder.quantized) == 1
    assert not (path.parent / "stale-leftover").exists()  # the directory was cleared
    [warning] = [r for r in caplog.records if r.name == "summarizer.onnx_encoder"]
    assert warning.levelno == logging.WARNING
    # Only the first line of onnxruntime's message goes to the log.
    assert "unreadable (INVALID_PROTOBUF: cannot parse); rebuilding it" in warning.getMessage()


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ImportError("No module named 'torch'"), "onnx encoder needs onnxruntime and torch"),
        (RuntimeError("export failed"), "cannot export sentence encoder to ONNX: export failed"),
        (OSError("disk full"), "cannot export sentence encoder to ONNX: disk full"),
    ],
)
def test_export_failures_are_backend_unavailable(
    tmp_path: Path, recorder: Recorder, monkeypatch: pytest.MonkeyPatch, error: Exception,
    message: str,
) -> None:  # fmt: skip
    def fail(model_dir: Path, target: Path) -> None:
        raise error

    monkeypatch.setattr(onnx_encoder, "_export_fp32", fail)
    with pytest.raises(BackendUnavailable, match=message):
        OnnxMiniLM(default_model_dir(), quantized=False, num_threads=1, cache_dir=tmp_path)


def test_a_model_without_tokenizer_is_backend_unavailable(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable, match=r"cannot read .*tokenizer\.json"):
        OnnxMiniLM(tmp_path, quantized=True, num_threads=1, cache_dir=tmp_path / "cache")
