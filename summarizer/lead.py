"""The lead backend: the article's first sentences, within the budget.

No model and no heavy import, so it is always available; it is the last link of every
fallback chain. On wire-style copy the lede is the summary (Lead-3 is the bar extractive
methods are measured against on CNN/DailyMail).
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.base import Budget, Document
from summarizer.budget import fit


class LeadBackend:
    """Takes sentences from the top of the cleaned article until the budget is used."""

    name = "lead"

    def load(self) -> None:
        """Nothing to load."""

    def summarize_documents(
        self, documents: Sequence[Document], budget: Budget
    ) -> list[tuple[str, ...]]:
        """Return the leading sentences of each document (see `summarizer.budget.fit`)."""
        return [
            fit(enumerate(doc.sentences), budget, title=doc.title, contiguous=True)
            for doc in documents
        ]
