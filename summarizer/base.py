"""Value types and the two interfaces of the summariser package.

`Article`, `Summary` and `Summarizer` are the public contract with the bot. `Budget`,
`Document` and `Backend` are the internal seam between the shared text preparation and the
interchangeable backends (lead, embedding, seq2seq):

* the caller's `Article` is cleaned and split once into a `Document` (cleaned headline plus
  article sentences, see `summarizer.chain.prepare`);
* a `Backend` turns a batch of documents into one tuple of summary sentences each, already
  fitted to the `Budget` (see `summarizer.budget`);
* the fallback chain (`summarizer.chain`) wraps backends into a `Summarizer` and turns the
  sentences into `Summary` values.

Backends raise `BackendUnavailable` from `load()` when they cannot run at all (missing model,
missing package); any other exception from `summarize_documents` is treated as a failure of
that batch, which the chain retries article by article before handing over to the next backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

DEFAULT_MAX_WORDS = 60


@dataclass(frozen=True)
class Article:
    """One story to summarise.

    Attributes:
        title: The publisher's headline; may carry a site suffix (" - BBC News"), HTML
            entities or tags. It is cleaned with `clean_title`.
        text: The article body as HTML or plain text. It is cleaned with `clean_text`.
        drop: Sentences to leave out, as `summarizer.clean.sentence_key` gives them: the
            caller's own furniture (the bot learns each source's stock lines).
    """

    title: str
    text: str
    drop: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Summary:
    """The brief for one article.

    Attributes:
        title: The cleaned headline.
        text: The summary sentences joined with single spaces ("" when the article had no
            usable text).
        sentences: The summary sentences, in the order they appear in `text`.
        method: The backend that actually produced the sentences: "lead", "embedding" or
            "seq2seq" (after a fallback this differs from the configured method).
    """

    title: str
    text: str
    sentences: tuple[str, ...]
    method: str


class Summarizer(Protocol):
    """What the bot calls. Implemented by `summarizer.chain.ChainSummarizer`."""

    name: str

    def summarize(
        self,
        articles: Sequence[Article],
        *,
        max_words: int = DEFAULT_MAX_WORDS,
        max_chars: int | None = None,
        sentences: int | None = None,
    ) -> list[Summary]:
        """Summarise a batch of articles.

        Synchronous, CPU-bound and thread-safe: call it from a worker thread. Models load
        lazily on the first call, once per instance.

        Args:
            articles: The stories to summarise.
            max_words: Target length in words. Sentences are added while the total stays
                within it; at least one sentence is kept even when it alone is longer.
                Ignored when `sentences` is given.
            max_chars: Hard limit on `Summary.text` in characters. Whole sentences are
                dropped to respect it; a single sentence that is still too long is cut at a
                word boundary and ends with "…".
            sentences: Exact number of sentences wanted (fewer when the article is shorter)
                instead of a word budget; `max_chars` still applies.

        Returns:
            One `Summary` per article, in the same order. Never raises because of one bad
            article: failures hand over to the next backend of the fallback chain.
        """
        ...


@dataclass(frozen=True)
class Budget:
    """The length constraints of one `summarize` call (see `Summarizer.summarize`)."""

    max_words: int = DEFAULT_MAX_WORDS
    max_chars: int | None = None
    sentences: int | None = None

    def __post_init__(self) -> None:
        if self.max_words < 1:
            raise ValueError(f"max_words must be >= 1, got {self.max_words}")
        if self.max_chars is not None and self.max_chars < 2:
            raise ValueError(f"max_chars must be >= 2, got {self.max_chars}")
        if self.sentences is not None and self.sentences < 1:
            raise ValueError(f"sentences must be >= 1, got {self.sentences}")


@dataclass(frozen=True)
class Document:
    """An article after cleaning: what every backend works on.

    Attributes:
        title: The cleaned headline ("" when unknown).
        sentences: The cleaned article sentences in article order, without furniture and
            without sentences that merely repeat the headline.
    """

    title: str
    sentences: tuple[str, ...]


class BackendUnavailable(RuntimeError):
    """A backend cannot run at all (model or package missing); raised by `Backend.load`."""


class Backend(Protocol):
    """One summarisation method. Implementations must be thread-safe."""

    name: str

    def load(self) -> None:
        """Load models if needed. Idempotent and thread-safe.

        Raises:
            BackendUnavailable: The backend cannot run in this environment.
        """
        ...

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        """Return the summary sentences of each document, fitted to `budget`.

        Called only with documents that have at least one sentence, after `load()`.
        May raise any exception; the chain then retries the documents one by one.
        """
        ...
