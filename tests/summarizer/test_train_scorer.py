"""The shipped scorer weights are what `bench/train_scorer.py` rebuilds from the dev data.

This runs the real `--check` path (retrain on all development data with the fixed seed and
compare every sentence score with the shipped weights' to 1e-6). Embeddings and oracle labels
are cached in the script's default cache directory, so only the first run pays for encoding.
"""

from __future__ import annotations

import pytest
from summarizer_testdata import shared_path

from bench import train_scorer


def test_retraining_on_the_dev_data_rebuilds_the_shipped_weights(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shared_path("eval-data", "cnndm-dev.jsonl")  # skips, with the reason, when absent
    shared_path("eval-data", "xsum-nontest-999.jsonl")
    assert train_scorer.main(["--check"]) == 0
    assert "-> same" in capsys.readouterr().out
