"""Thread settings of the model backends (summarizer.runtime)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from summarizer import runtime
from summarizer.runtime import available_cpus, default_threads, prepare_torch


def test_available_cpus_is_the_affinity_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert available_cpus() == 3  # a container limited to three of the host's 64 CPUs


def test_available_cpus_is_at_least_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(), raising=False)
    assert available_cpus() == 1


def test_available_cpus_without_affinity_uses_the_cpu_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert available_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # unknown
    assert available_cpus() == 1


def test_default_threads_leaves_one_cpu_to_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "available_cpus", lambda: 4)
    assert default_threads() == 3
    monkeypatch.setattr(runtime, "available_cpus", lambda: 2)
    assert default_threads() == 1
    monkeypatch.setattr(runtime, "available_cpus", lambda: 1)
    assert default_threads() == 1  # never zero


def test_an_explicit_thread_count_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "available_cpus", lambda: 2)
    assert default_threads(6) == 6
    assert default_threads(1) == 1


@pytest.fixture
def torch_threads() -> Iterator[int]:
    """torch's thread count before the test, restored after it (the setting is global)."""
    import torch
    from transformers.utils import logging as hf_logging

    before = torch.get_num_threads()
    bars = hf_logging.is_progress_bar_enabled()  # type: ignore[no-untyped-call]
    yield before
    torch.set_num_threads(before)
    if bars:
        hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def test_prepare_torch_sets_the_threads_once_and_says_so(
    torch_threads: int, caplog: pytest.LogCaptureFixture
) -> None:
    import torch

    wanted = 2 if torch_threads != 2 else 1
    with caplog.at_level(logging.INFO, logger="summarizer.runtime"):
        prepare_torch(wanted)
        prepare_torch(wanted)
    assert torch.get_num_threads() == wanted
    messages = [r.getMessage() for r in caplog.records if r.name == "summarizer.runtime"]
    assert messages == [f"setting torch intra-op threads from {torch_threads} to {wanted}"]


def test_prepare_torch_default_follows_the_available_cpus(
    torch_threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    monkeypatch.setattr(runtime, "available_cpus", lambda: 3)
    prepare_torch()
    assert torch.get_num_threads() == 2


def test_prepare_torch_silences_the_loading_progress_bars(torch_threads: int) -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    prepare_torch(1)
    assert not hf_logging.is_progress_bar_enabled()  # type: ignore[no-untyped-call]
