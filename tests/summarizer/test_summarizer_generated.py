"""Tidying generated summaries (summarizer.seq2seq) and the evaluation's data and report
(summarizer.eval), without a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.budget import ELLIPSIS
from summarizer.eval import EvalInputError, Item, Report, load_items
from summarizer.metrics import Score
from summarizer.seq2seq import _complete_sentences


def test_a_summary_cut_by_the_token_limit_loses_its_unfinished_sentence() -> None:
    assert _complete_sentences("The board met. The plan was", finished=False) == ["The board met."]


def test_a_single_cut_sentence_ends_with_an_ellipsis() -> None:
    assert _complete_sentences("The plan was approved,", finished=False) == [
        f"The plan was approved{ELLIPSIS}"
    ]


def test_a_summary_the_model_ended_without_punctuation_gets_a_full_stop() -> None:
    assert _complete_sentences("The plan was approved,", finished=True) == [
        "The plan was approved."
    ]
    assert _complete_sentences('"We are done," she said', finished=True) == [
        '"We are done," she said.'
    ]
    assert _complete_sentences("The board met. The plan was", finished=True) == [
        "The board met.",
        "The plan was.",
    ]


def test_complete_summaries_are_left_alone() -> None:
    assert _complete_sentences("Done. Over.", finished=False) == ["Done.", "Over."]
    assert _complete_sentences("", finished=False) == []


def write_lines(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(article: str, reference: str, **extra: str) -> str:
    return json.dumps({"article": article, "reference": reference, **extra})


def test_load_items_reads_pairs_and_ignores_other_fields(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "d.jsonl", row("A1", "R1", id="x"), "", "   ", row("A2", "R2\nR2b")
    )
    assert load_items(path) == [Item("A1", "R1"), Item("A2", "R2\nR2b")]


def test_load_items_stops_reading_at_the_limit(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "d.jsonl", row("A1", "R1"), row("A2", "R2"), "{broken")
    assert load_items(path, limit=2) == [Item("A1", "R1"), Item("A2", "R2")]
    with pytest.raises(EvalInputError, match=":3: invalid JSON"):
        load_items(path)


@pytest.mark.parametrize(
    "line",
    [
        '["a list", "not an object"]',
        '{"article": "A", "reference": 5}',
        '{"article": null, "reference": "R"}',
    ],
)
def test_load_items_needs_string_fields(tmp_path: Path, line: str) -> None:
    path = write_lines(tmp_path / "d.jsonl", row("A1", "R1"), line)
    with pytest.raises(EvalInputError) as error:
        load_items(path)
    assert str(error.value) == f'{path}:2: needs string fields "article" and "reference"'


def test_load_items_rejects_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(row("Caf\xe9", "R").encode("utf-8").replace(b"\\u00e9", b"\xe9"))
    with pytest.raises(EvalInputError, match=f"cannot read {path}"):
        load_items(path)


def test_report_json_rounds_its_figures() -> None:
    report = Report(
        n=3,
        scores={
            "rouge1": Score(41.23456, 39.0049, 43.9951),
            "rouge2": Score(18.5, 17.0, 20.0),
            "rougeLsum": Score(37.777, 36.111, 39.999),
        },
        articles_per_second=12.3456,
        mean_words=55.56,
        methods={"lead": 3},
    )
    assert report.as_json() == {
        "n": 3,
        "rouge1": 41.23,
        "rouge2": 18.5,
        "rougeLsum": 37.78,
        "ci95": {"rouge1": [39.0, 44.0], "rouge2": [17.0, 20.0], "rougeLsum": [36.11, 40.0]},
        "articles_per_second": 12.35,
        "mean_words": 55.6,
    }
