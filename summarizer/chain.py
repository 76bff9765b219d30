"""The fallback chain: the `Summarizer` the bot holds.

`ChainSummarizer` cleans each article once (`prepare`), then offers the batch to its
backends in order, e.g. seq2seq -> embedding -> lead:

* A backend whose `load()` raises `BackendUnavailable` (or anything else) is disabled for
  the life of the instance; that is logged once, as a warning.
* When a backend fails on a batch, the articles are retried one by one with it, and only
  the articles that fail alone go on to the next backend. The first such failure of each
  backend is logged as a warning with its traceback, later ones at debug level.
* Lead never needs a model; should even the last backend fail on an article (a bug), that
  article gets an empty summary and an error is logged, instead of an exception.

Articles with no usable text after cleaning get an empty summary without asking a backend.
Thread-safe: the state is the set of disabled backends and of already-logged failures,
both guarded by one lock; the backends guard their own models.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from summarizer.base import DEFAULT_MAX_WORDS, Article, Backend, Budget, Document, Summary
from summarizer.clean import clean_paragraphs, clean_title

logger = logging.getLogger(__name__)


def prepare(article: Article) -> Document:
    """Clean an article into the `Document` every backend works on."""
    title = clean_title(article.title)
    paragraphs = clean_paragraphs(article.text, title=title, drop=article.drop)
    return Document(title, tuple(s for paragraph in paragraphs for s in paragraph))


class ChainSummarizer:
    """A `Summarizer` over backends tried in order.

    Args:
        name: The configured method (what `build_summarizer` was asked for).
        backends: Most wanted first; the last one should be the lead backend.
    """

    def __init__(self, name: str, backends: Sequence[Backend]) -> None:
        if not backends:
            raise ValueError("a summarizer needs at least one backend")
        self.name = name
        self._backends = tuple(backends)
        self._lock = threading.Lock()
        self._disabled: set[str] = set()
        self._warned: set[str] = set()

    @property
    def methods(self) -> tuple[str, ...]:
        """The backend names in fallback order, e.g. ("seq2seq", "embedding", "lead")."""
        return tuple(backend.name for backend in self._backends)

    def summarize(
        self,
        articles: Sequence[Article],
        *,
        max_words: int = DEFAULT_MAX_WORDS,
        max_chars: int | None = None,
        sentences: int | None = None,
    ) -> list[Summary]:
        """Summarise articles; see `summarizer.base.Summarizer.summarize`."""
        budget = Budget(max_words=max_words, max_chars=max_chars, sentences=sentences)
        documents = [self._prepare(article) for article in articles]
        results: list[Summary | None] = [None] * len(documents)
        for backend in self._backends:
            pending = [i for i, doc in enumerate(documents) if doc.sentences and not results[i]]
            if not pending or not self._usable(backend):
                continue
            outputs = self._run(backend, [documents[i] for i in pending], budget)
            for i, output in zip(pending, outputs, strict=True):
                if output:
                    results[i] = Summary(documents[i].title, " ".join(output), output, backend.name)
        summaries: list[Summary] = []
        for i, (document, result) in enumerate(zip(documents, results, strict=True)):
            if result is None:
                if document.sentences:
                    logger.error("no backend could summarise article %d (%r)", i, document.title)
                result = Summary(document.title, "", (), self._backends[-1].name)
            summaries.append(result)
        return summaries

    @staticmethod
    def _prepare(article: Article) -> Document:
        try:
            return prepare(article)
        except Exception:
            logger.exception("cleaning failed for article %r", article.title)
            return Document(article.title.strip(), ())

    def _usable(self, backend: Backend) -> bool:
        with self._lock:
            if backend.name in self._disabled:
                return False
        try:
            backend.load()
        except Exception as exc:
            with self._lock:
                first = backend.name not in self._disabled
                self._disabled.add(backend.name)
            if first:
                logger.warning(
                    "summarizer backend %s unavailable, falling back: %s", backend.name, exc
                )
            return False
        return True

    def _run(
        self, backend: Backend, documents: list[Document], budget: Budget
    ) -> list[tuple[str, ...] | None]:
        try:
            return list(backend.summarize_documents(documents, budget))
        except Exception:
            if len(documents) == 1:
                self._log_failure(backend, documents[0])
                return [None]
        results: list[tuple[str, ...] | None] = []
        for document in documents:
            try:
                results.extend(backend.summarize_documents([document], budget))
            except Exception:
                self._log_failure(backend, document)
                results.append(None)
        return results

    def _log_failure(self, backend: Backend, document: Document) -> None:
        with self._lock:
            first = backend.name not in self._warned
            self._warned.add(backend.name)
        level = logging.WARNING if first else logging.DEBUG
        logger.log(
            level,
            "summarizer backend %s failed on %r, falling back",
            backend.name,
            document.title,
            exc_info=True,
        )
