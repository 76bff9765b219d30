"""Word-level helpers shared by cleaning, budgets and scoring."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_STOPWORD_TEXT = """
a an the of in on at to for from by with and or but is was are were be been being has have had
it its this that these those he she they his her their we our you your i my me as not no so if
than then there here which who whom what when where why how will would can could should may
might must do does did said says say told also about after before over into out up down more
most just only other such some any all each one two new
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def count_words(text: str) -> int:
    """Number of whitespace-separated words in `text` (what budgets count)."""
    return len(text.split())


def words_of(text: str) -> list[str]:
    """Lower-cased word tokens of `text`, for comparisons that ignore punctuation."""
    return _WORD.findall(text.lower())


def content_tokens(text: str) -> list[str]:
    """Lower-cased words of three or more characters that are not stop words, in order."""
    return [w for w in words_of(text) if len(w) > 2 and w not in STOPWORDS]


def content_words(text: str) -> set[str]:
    """Distinct lower-cased words of three or more characters that are not stop words."""
    return set(content_tokens(text))
