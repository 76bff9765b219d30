"""The value types, the chain's preparation and budget handling, and the lead and embedding
backends with a model-free encoder."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import numpy as np
import pytest

from summarizer import Article, Summary
from summarizer import chain as chain_module
from summarizer.base import DEFAULT_MAX_WORDS, Budget, Document
from summarizer.chain import ChainSummarizer, prepare
from summarizer.clean import sentence_key
from summarizer.embedding import EmbeddingBackend
from summarizer.encoder import EMBEDDING_SIZE, SentenceEncoder
from summarizer.lead import LeadBackend

STORY = (
    "The harbour board approved a new ferry timetable on Monday. "
    "Sailings to the islands will double in summer. "
    "Fares stay the same until next year. "
    "Critics said the plan came late."
)
FIRST, SECOND, THIRD, FOURTH = (
    "The harbour board approved a new ferry timetable on Monday.",
    "Sailings to the islands will double in summer.",
    "Fares stay the same until next year.",
    "Critics said the plan came late.",
)


class RecordingBackend:
    """Returns each document's first sentence and records what it was given."""

    def __init__(self, name: str = "embedding", output: tuple[str, ...] | None = None) -> None:
        self.name = name
        self.output = output
        self.calls: list[tuple[list[Document], Budget]] = []

    def load(self) -> None:
        pass

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        self.calls.append((list(documents), budget))
        if self.output is not None:
            return [self.output for _ in documents]
        return [doc.sentences[:1] for doc in documents]


def test_budget_defaults_and_smallest_valid_values() -> None:
    assert Budget() == Budget(max_words=DEFAULT_MAX_WORDS, max_chars=None, sentences=None)
    assert DEFAULT_MAX_WORDS == 60
    Budget(max_words=1, max_chars=2, sentences=1)  # the limits themselves are fine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_words": 0}, "max_words must be >= 1, got 0"),
        ({"max_words": -5}, "max_words must be >= 1, got -5"),
        ({"max_chars": 1}, "max_chars must be >= 2, got 1"),
        ({"sentences": 0}, "sentences must be >= 1, got 0"),
    ],
)
def test_bad_budgets_are_rejected_by_summarize_with_the_value(
    kwargs: dict[str, int], message: str
) -> None:
    chain = ChainSummarizer("lead", [LeadBackend()])
    with pytest.raises(ValueError) as error:
        chain.summarize([Article("T", STORY)], **kwargs)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_value_types_are_frozen() -> None:
    article = Article("T", "Body.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.title = "Other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Budget().max_words = 5  # type: ignore[misc]
    assert article.drop == frozenset()
    assert Summary("T", "", (), "lead") == Summary("T", "", (), "lead")


def test_a_chain_needs_a_backend() -> None:
    with pytest.raises(ValueError, match="at least one backend"):
        ChainSummarizer("lead", [])


def test_prepare_cleans_the_headline_and_splits_the_body() -> None:
    document = prepare(Article("Ferry timetable approved - BBC News", f"<p>{STORY}</p>"))
    assert document == Document("Ferry timetable approved", (FIRST, SECOND, THIRD, FOURTH))


def test_prepare_leaves_out_the_callers_furniture() -> None:
    drop = frozenset({sentence_key("FARES  stay the same until next year.")})
    document = prepare(Article("", STORY, drop=drop))
    assert document.sentences == (FIRST, SECOND, FOURTH)


def test_the_backend_gets_the_budget_and_only_articles_with_text() -> None:
    backend = RecordingBackend()
    chain = ChainSummarizer("embedding", [backend, LeadBackend()])
    summaries = chain.summarize(
        [Article("Empty", "   "), Article("Story", STORY)], max_words=20, max_chars=90
    )
    [(documents, budget)] = backend.calls
    assert [d.title for d in documents] == ["Story"]
    assert budget == Budget(max_words=20, max_chars=90, sentences=None)
    assert summaries[0] == Summary("Empty", "", (), "lead")
    assert summaries[1] == Summary("Story", FIRST, (FIRST,), "embedding")


def test_an_empty_answer_hands_the_article_to_the_next_backend() -> None:
    silent = RecordingBackend(output=())
    chain = ChainSummarizer("embedding", [silent, LeadBackend()])
    [summary] = chain.summarize([Article("", STORY)], sentences=2)
    assert len(silent.calls) == 1
    assert summary == Summary("", f"{FIRST} {SECOND}", (FIRST, SECOND), "lead")


def test_a_cleaning_failure_gives_an_empty_summary_and_a_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(article: Article) -> Document:
        raise RuntimeError("cleaning bug")

    monkeypatch.setattr(chain_module, "prepare", broken)
    chain = ChainSummarizer("lead", [LeadBackend()])
    with caplog.at_level(logging.ERROR, logger="summarizer.chain"):
        [summary] = chain.summarize([Article("  Ferry news  ", STORY)])
    assert summary == Summary("Ferry news", "", (), "lead")
    [record] = caplog.records
    assert "cleaning failed for article '  Ferry news  '" in record.getMessage()
    assert record.exc_info is not None


def test_lead_takes_the_opening_sentences_and_stops_at_the_first_that_does_not_fit() -> None:
    document = Document("", (FIRST, SECOND, THIRD, FOURTH))
    lead = LeadBackend()
    # 10 + 8 words fit in 24; the 7-word third does not. The 6-word fourth would fit, but a
    # lede stays contiguous: lead stops at the third.
    assert lead.summarize_documents([document], Budget(max_words=24)) == [(FIRST, SECOND)]
    assert lead.summarize_documents([document], Budget(sentences=3)) == [(FIRST, SECOND, THIRD)]
    short = Document("", ("Rain.", FIRST, "Wind."))
    assert lead.summarize_documents([short], Budget(max_words=5)) == [("Rain.",)]


def test_lead_skips_a_sentence_that_repeats_the_headline() -> None:
    document = Document("Harbour board approved new ferry timetable on Monday", (FIRST, SECOND))
    assert LeadBackend().summarize_documents([document], Budget(sentences=1)) == [(SECOND,)]


def test_lead_cuts_a_single_long_lede_to_max_chars() -> None:
    document = Document("", (FIRST, SECOND))
    [(text,)] = LeadBackend().summarize_documents([document], Budget(max_chars=30))
    assert text == "The harbour board approved a…"
    assert len(text) <= 30


class TopicEncoder(SentenceEncoder):
    """Needs no model: sentences that share their first word share a vector."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def load(self) -> None:
        pass

    def encode(self, sentences: Sequence[str]) -> np.ndarray:
        self.calls.append(list(sentences))
        out = np.zeros((len(sentences), EMBEDDING_SIZE), dtype=np.float32)
        for row, sentence in enumerate(sentences):
            out[row, sum(map(ord, sentence.split()[0])) % EMBEDDING_SIZE] = 1.0
        return out


def test_embedding_encodes_a_whole_batch_in_one_call() -> None:
    encoder = TopicEncoder()
    backend = EmbeddingBackend(encoder)
    documents = [Document("", (FIRST, SECOND, THIRD)), Document("", ("Rain fell.", "Wind."))]
    results = backend.summarize_documents(documents, Budget(sentences=1))
    assert encoder.calls == [[FIRST, SECOND, THIRD, "Rain fell.", "Wind."]]
    assert results[0][0] in documents[0].sentences
    assert results[1][0] in documents[1].sentences


def test_embedding_considers_only_the_first_sentences() -> None:
    encoder = TopicEncoder()
    backend = EmbeddingBackend(encoder, max_sentences=2)
    document = Document("", (FIRST, SECOND, THIRD, FOURTH))
    [result] = backend.summarize_documents([document], Budget(sentences=4))
    assert encoder.calls == [[FIRST, SECOND]]
    assert result == (FIRST, SECOND)


def test_embedding_output_is_in_article_order() -> None:
    sentences = tuple(f"Topic{i} sentence number {i} of the story." for i in range(6))
    [result] = EmbeddingBackend(TopicEncoder()).summarize_documents(
        [Document("", sentences)], Budget(sentences=3)
    )
    assert len(result) == 3
    positions = [sentences.index(s) for s in result]
    assert positions == sorted(positions)
