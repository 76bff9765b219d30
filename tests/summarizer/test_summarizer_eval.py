"""`newsbrief eval summarizer` (summarizer.eval.main) on tiny temporary data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.eval import main

SENTENCES = [
    "The city council approved a new budget for road repairs on Monday.",
    "Spending on potholes will double over the next two years.",
    "Opposition members said the plan ignored public transport.",
    "The mayor promised a review of bus routes in the spring.",
    "Residents will be consulted at a series of meetings.",
]
KEYS = {"n", "rouge1", "rouge2", "rougeLsum", "ci95", "articles_per_second", "mean_words"}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    rows = [
        {"id": str(i), "article": " ".join(SENTENCES), "reference": "\n".join(SENTENCES[:3])}
        for i in range(3)
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_lead_3_on_its_own_reference_scores_100(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data", str(data), "--method", "lead", "--sentences", "3", "--json"])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code == 0 and out.count("\n") == 1
    assert set(report) == KEYS
    assert report["n"] == 3
    assert report["rouge1"] == report["rouge2"] == report["rougeLsum"] == 100.0
    assert set(report["ci95"]) == {"rouge1", "rouge2", "rougeLsum"}
    assert report["ci95"]["rouge1"] == [100.0, 100.0]
    assert report["mean_words"] == sum(len(s.split()) for s in SENTENCES[:3])
    assert report["articles_per_second"] > 0


def test_text_report_and_limit(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data), "--method", "lead", "--words", "12", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "n=2" in out and "ROUGE-1" in out and "ROUGE-Lsum" in out and "95% CI" in out
    assert "produced by: lead 2" in out


def test_seq2seq_with_a_model_directory(
    data: Path, tiny_model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--data", str(data), "--method", "seq2seq", "--model", str(tiny_model_dir), "--json"]
    assert main(argv) == 0
    assert set(json.loads(capsys.readouterr().out)) == KEYS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ('{"article": "a", "reference": "b"}\n{not json}\n', ":2: invalid JSON"),
        ('{"article": "a"}\n', ':1: needs string fields "article" and "reference"'),
        ("\n\n", "no items"),
    ],
)
def test_bad_data_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "data.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["--data", str(path), "--method", "lead"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "bart"], "invalid choice: 'bart'"),
        (["--method", "lead", "--sentences", "0"], "must be at least 1"),
        (["--method", "lead", "--sentences", "2", "--words", "50"], "not allowed with"),
        (["--method", "lead", "--limit", "x"], "not a whole number"),
    ],
)
def test_bad_arguments_exit_2(
    data: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["--data", str(data), *argv]) == 2
    assert message in capsys.readouterr().err
