"""The fallback chain seq2seq -> embedding -> lead, with fake and real backends."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from summarizer_fakes import BrokenBackend, PickyBackend, UnavailableBackend

from summarizer import METHODS, Article, build_summarizer
from summarizer.chain import ChainSummarizer
from summarizer.embedding import EmbeddingBackend
from summarizer.encoder import SentenceEncoder
from summarizer.lead import LeadBackend
from summarizer.seq2seq import Seq2SeqBackend

GOOD = Article("good", "First sentence of the good one. Last sentence of the good one.")
BAD = Article("bad", "First sentence of the bad one. Last sentence of the bad one.")


def warnings_from(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def test_a_backend_that_cannot_load_hands_over_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = UnavailableBackend()
    chain = ChainSummarizer("seq2seq", [missing, LeadBackend()])
    caplog.set_level(logging.INFO, logger="summarizer")
    first = chain.summarize([GOOD])
    second = chain.summarize([GOOD, GOOD])
    assert [s.method for s in first + second] == ["lead"] * 3
    assert first[0].text == "First sentence of the good one. Last sentence of the good one."
    assert missing.load_calls == 1
    assert len(warnings_from(caplog, "seq2seq unavailable")) == 1


def test_a_backend_that_fails_on_one_article_hands_only_that_one_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    picky = PickyBackend()
    chain = ChainSummarizer("embedding", [picky, LeadBackend()])
    caplog.set_level(logging.DEBUG, logger="summarizer")
    summaries = chain.summarize([GOOD, BAD, GOOD, BAD])
    assert [s.method for s in summaries] == ["embedding", "lead", "embedding", "lead"]
    assert summaries[0].text == "Last sentence of the good one."
    assert summaries[1].text == "First sentence of the bad one. Last sentence of the bad one."
    assert picky.batches == [4, 1, 1, 1, 1]  # the batch, then one by one
    failures = warnings_from(caplog, "embedding failed on 'bad'")
    assert len(failures) == 1 and failures[0].exc_info is not None


def test_even_a_failing_last_backend_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    chain = ChainSummarizer("lead", [BrokenBackend()])
    [summary] = chain.summarize([GOOD])
    assert (summary.title, summary.text, summary.sentences) == ("good", "", ())
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_articles_without_text_get_an_empty_summary() -> None:
    chain = ChainSummarizer("embedding", [PickyBackend(), LeadBackend()])
    summaries = chain.summarize([Article("Only a title", ""), Article("x", "<p><br></p>"), GOOD])
    assert [s.text for s in summaries[:2]] == ["", ""]
    assert summaries[0].title == "Only a title"
    assert summaries[2].method == "embedding"


def test_seq2seq_without_a_model_falls_back_to_embedding(
    tmp_path: Path, encoder: SentenceEncoder, caplog: pytest.LogCaptureFixture
) -> None:
    chain = ChainSummarizer(
        "seq2seq",
        [Seq2SeqBackend(str(tmp_path / "missing")), EmbeddingBackend(encoder), LeadBackend()],
    )
    [summary] = chain.summarize([GOOD], sentences=1)
    assert summary.method == "embedding"
    assert summary.sentences[0] in GOOD.text
    assert len(warnings_from(caplog, "seq2seq unavailable")) == 1


@pytest.mark.parametrize(
    ("method", "chain"),
    [
        ("lead", ("lead",)),
        ("embedding", ("embedding", "lead")),
        ("seq2seq", ("seq2seq", "embedding", "lead")),
    ],
)
def test_build_summarizer_chains(method: str, chain: tuple[str, ...]) -> None:
    summarizer = build_summarizer(method, model="some/model")
    assert summarizer.name == method
    assert isinstance(summarizer, ChainSummarizer) and summarizer.methods == chain
    assert method in METHODS


def test_build_summarizer_rejects_unknown_methods() -> None:
    with pytest.raises(ValueError, match="unknown summarizer method 'bart'"):
        build_summarizer("bart")


def test_build_summarizer_is_lazy_and_lead_needs_no_model() -> None:
    summarizer = build_summarizer("lead")
    [summary] = summarizer.summarize([Article("T - BBC News", GOOD.text)], sentences=1)
    assert (summary.title, summary.text, summary.method) == (
        "T",
        "First sentence of the good one.",
        "lead",
    )
