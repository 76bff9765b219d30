"""The seq2seq backend through its real loading path, with tiny random models."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer import Article, build_summarizer
from summarizer.budget import ELLIPSIS
from summarizer.sentences import ends_sentence
from summarizer.seq2seq import Seq2SeqBackend
from summarizer.tiny_model import WINDOW, build_tiny_seq2seq
from summarizer.words import count_words

STORY = (
    "Rescue teams reached the flooded village on Tuesday, officials said. "
    "The government promised new funding for schools and hospitals. "
    "Police asked witnesses to come forward after the crash. "
)


def test_tiny_bart_round_trip_by_directory(tmp_path: Path) -> None:
    build_tiny_seq2seq(tmp_path)
    summarizer = build_summarizer("seq2seq", model=str(tmp_path))
    summaries = summarizer.summarize(
        [Article("Floods - BBC News", STORY), Article("Other", STORY * 2)], max_words=30
    )
    assert [s.method for s in summaries] == ["seq2seq", "seq2seq"]
    assert summaries[0].title == "Floods"
    for summary in summaries:
        assert summary.text and summary.text == " ".join(summary.sentences)
        assert count_words(summary.text) <= 30 or len(summary.sentences) == 1


@pytest.mark.parametrize("kind", ["bart", "t5"])
def test_budgets_hold_for_generated_text(tmp_path: Path, kind: str) -> None:
    summarizer = build_summarizer("seq2seq", model=str(build_tiny_seq2seq(tmp_path, kind=kind)))
    for budget in ({"sentences": 1}, {"max_words": 12, "max_chars": 40}):
        [summary] = summarizer.summarize([Article("", STORY)], **budget)  # type: ignore[arg-type]
        assert summary.method == "seq2seq"
        assert len(summary.text) <= budget.get("max_chars", 10**6)
        last = summary.sentences[-1]
        assert ends_sentence(last) or last.endswith(ELLIPSIS)


def test_long_articles_are_chunked_to_the_window(tiny_model_dir: Path) -> None:
    backend = Seq2SeqBackend(str(tiny_model_dir))
    backend.load()
    sentences = [s.strip() + "." for s in (STORY * 20).split(".") if s.strip()]
    chunks = backend._chunks(sentences)
    assert 1 < len(chunks) <= 4
    assert " ".join(chunks) == " ".join(sentences[: len(" ".join(chunks).split(". "))])
    for chunk in chunks:
        assert backend._count_tokens(chunk) <= WINDOW - 2
    [summary] = build_summarizer("seq2seq", model=str(tiny_model_dir)).summarize(
        [Article("", " ".join(sentences))], sentences=2
    )
    assert summary.method == "seq2seq" and summary.text
