"""Shared fixtures for the summarizer tests.

Copyrighted corpora are read from the repository's sibling `../shared` and never copied in;
tests that need them skip when it is absent. Models are loaded once per session. The
network is blocked for every test.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from summarizer.encoder import SentenceEncoder
from summarizer.tiny_model import build_tiny_seq2seq

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Hub offline mode, and any socket connection fails, during every summarizer test.

    Function-scoped on purpose: a session-scoped patch would outlive these tests and break the
    loopback servers of every test that runs after them.
    """

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network access is not allowed in tests")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when the corpora are not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared corpora at {path} (not part of the repository)")
    return path


def read_jsonl(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit]


@pytest.fixture(scope="session")
def cnndm_rows() -> list[dict[str, Any]]:
    return read_jsonl(shared_path("eval-data", "cnndm-dev.jsonl"))


@pytest.fixture(scope="session")
def xsum_rows() -> list[dict[str, Any]]:
    return read_jsonl(shared_path("eval-data", "xsum-nontest-999.jsonl"), limit=60)


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    """The packaged MiniLM, loaded once for the whole session."""
    loaded = SentenceEncoder()
    loaded.load()
    return loaded


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny random BART saved to a temporary directory (see summarizer.tiny_model)."""
    yield build_tiny_seq2seq(tmp_path_factory.mktemp("tiny-bart"))
