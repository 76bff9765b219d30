"""Fake backends for the fallback-chain tests."""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.base import BackendUnavailable, Budget, Document


class UnavailableBackend:
    """A backend whose model is missing."""

    def __init__(self, name: str = "seq2seq") -> None:
        self.name = name
        self.load_calls = 0

    def load(self) -> None:
        self.load_calls += 1
        raise BackendUnavailable("no model here")

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        raise AssertionError("never called when load() fails")


class PickyBackend:
    """Summarises with the last sentence, but fails on any article titled "bad"."""

    def __init__(self, name: str = "embedding") -> None:
        self.name = name
        self.batches: list[int] = []

    def load(self) -> None:
        pass

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        self.batches.append(len(documents))
        if any(doc.title == "bad" for doc in documents):
            raise RuntimeError("cannot summarise this one")
        return [(doc.sentences[-1],) for doc in documents]


class BrokenBackend:
    """Fails on everything (a bug), even as the last link of the chain."""

    name = "lead"

    def load(self) -> None:
        pass

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        raise ValueError("bug")
