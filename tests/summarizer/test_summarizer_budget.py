"""Budget rules shared by all backends (summarizer.budget)."""

from __future__ import annotations

import pytest

from summarizer.base import Budget
from summarizer.budget import ELLIPSIS, fit, truncate

SENTENCES = [
    "One two three four five.",  # 5 words, 25 chars
    "Six seven eight nine ten eleven.",  # 6 words
    "Twelve thirteen.",  # 2 words
    "Fourteen fifteen sixteen seventeen eighteen nineteen twenty.",  # 7 words
]


def ranked(*positions: int) -> list[tuple[int, str]]:
    return [(i, SENTENCES[i]) for i in positions]


def test_sentences_mode_takes_exactly_k_in_article_order() -> None:
    assert fit(ranked(3, 0, 2, 1), Budget(sentences=2)) == (SENTENCES[0], SENTENCES[3])
    assert fit(ranked(1), Budget(sentences=3)) == (SENTENCES[1],)


def test_word_budget_skips_what_does_not_fit_unless_contiguous() -> None:
    budget = Budget(max_words=8)
    assert fit(ranked(0, 1, 2, 3), budget) == (SENTENCES[0], SENTENCES[2])
    assert fit(ranked(0, 1, 2, 3), budget, contiguous=True) == (SENTENCES[0],)


def test_first_sentence_is_kept_even_when_longer_than_the_word_budget() -> None:
    assert fit(ranked(3, 0), Budget(max_words=3)) == (SENTENCES[3],)


def test_max_chars_is_a_hard_limit_on_the_joined_text() -> None:
    chosen = fit(ranked(0, 1, 2, 3), Budget(max_words=100, max_chars=60))
    assert len(" ".join(chosen)) <= 60
    assert chosen == (SENTENCES[0], SENTENCES[1])


def test_a_single_sentence_over_max_chars_is_cut_at_a_word_boundary() -> None:
    (text,) = fit(ranked(3), Budget(max_chars=30))
    assert len(text) <= 30
    assert text == "Fourteen fifteen sixteen…"
    assert text.endswith(ELLIPSIS)


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("alpha beta, gamma delta", 13) == "alpha beta…"
    assert truncate("Supercalifragilistic", 6) == "Super…"


def test_sentences_that_repeat_the_headline_are_skipped() -> None:
    candidates = [(0, "Storm hits the coast."), (1, "Power was cut to 5,000 homes.")]
    assert fit(candidates, Budget(sentences=1), title="Storm hits coast") == (candidates[1][1],)


def test_no_candidates_give_an_empty_summary() -> None:
    assert fit([], Budget()) == ()


@pytest.mark.parametrize("kwargs", [{"max_words": 0}, {"max_chars": 1}, {"sentences": 0}])
def test_invalid_budgets_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Budget(**kwargs)
