"""Keyword-alert syntax and matching (never a user-supplied regular expression).

A query is words and ``"quoted phrases"``; terms side by side must all match (implicit AND),
``OR`` (upper case) separates alternatives, and ``-term`` / ``-"a phrase"`` excludes::

    kursk OR sudzha -football        either word, but not a story that mentions football
    "interest rates" ecb             the phrase and the word

Matching is case- and accent-insensitive on word boundaries: text and query are both reduced
to word tokens (``normalize``), a word matches an equal token and a phrase matches consecutive
tokens. ``rate`` therefore does not match ``rates``, and ``Sudža`` matches ``sudza``.

``AlertIndex`` matches every chat's alerts against a story without scanning every alert: each
OR-group of each alert is filed under one *anchor* word (its longest word, a cheap proxy for the
rarest), and a story only evaluates the groups whose anchor is among its tokens. The cost per
story is one pass over its text plus the candidate groups, independent of how many alerts
exist (see ``bench/alerts.py`` for the figures against a plain scan).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import UserInputError
from bot.core.i18n import _
from bot.core.models import ChatRef

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
MAX_TEXT_CHARS = 20_000
"""Only this much of a story's text (headline + summary + article) is searched."""
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_WORD = re.compile(r"\w+")
_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\u3099\u309a\ufe20-\ufe2f]+"
)


def normalize(text: str) -> str:
    """Lower-case, strip accents, and reduce to space-separated word tokens."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """The word tokens of ``text``: case-folded, accents removed, punctuation dropped.

    Non-ASCII text is decomposed (NFKD) and its combining marks -- Latin, Greek and Cyrillic
    accents, Hebrew points, Arabic harakat, kana voicing marks -- are removed before words are
    cut, so ``Sudža`` (composed or decomposed) and ``Sudza`` are one token. Marks of other scripts
    (Indic vowel signs) are not word characters and split a word into pieces, the same way for
    queries and stories; scripts written without spaces (CJK, Thai) match whole runs only.
    """
    folded = text.casefold()
    if folded.isascii():
        return _WORD.findall(folded)
    return _WORD.findall(_MARKS.sub("", unicodedata.normalize("NFKD", folded)))


class Document:
    """A text prepared once for matching many phrases against it."""

    __slots__ = ("_padded", "_words", "tokens")

    def __init__(self, text: str) -> None:
        self._words = words(text[:MAX_TEXT_CHARS])
        self.tokens = frozenset(self._words)
        self._padded: str | None = None

    def has(self, phrase: str) -> bool:
        """True when the normalised ``phrase`` occurs on word boundaries."""
        if " " not in phrase:
            return phrase in self.tokens
        if not all(w in self.tokens for w in phrase.split()):
            return False
        if self._padded is None:
            self._padded = f" {' '.join(self._words)} "
        return f" {phrase} " in self._padded


@dataclass(frozen=True)
class Query:
    """A parsed alert: any of ``groups`` (each a tuple of phrases that must all occur), and
    none of ``excluded``. Phrases are normalised word sequences."""

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]

    def matches(self, text: str) -> tuple[str, ...]:
        """The phrases of every matching group when ``text`` matches, else ``()``."""
        return self.matches_document(Document(text))

    def matches_document(self, doc: Document) -> tuple[str, ...]:
        """Like ``matches`` for a prepared document."""
        return self.matching_groups(doc, range(len(self.groups)))

    def matching_groups(self, doc: Document, candidates: Sequence[int] | range) -> tuple[str, ...]:
        """The phrases of the groups among ``candidates`` that match, unless excluded."""
        hit: list[str] = []
        for index in candidates:
            group = self.groups[index]
            if all(doc.has(p) for p in group):
                hit.extend(group)
        if not hit or any(doc.has(p) for p in self.excluded):
            return ()
        return tuple(dict.fromkeys(hit))


def parse_query(text: str, *, search: bool = False) -> Query:
    """Parse an alert query (with ``search``: the words of ``/latest <words>``) or raise
    ``UserInputError`` saying how to write one."""
    if len(text) > MAX_QUERY_CHARS:
        raise UserInputError(
            _("A search may be at most {n} characters long.", n=MAX_QUERY_CHARS)
            if search
            else _("An alert may be at most {n} characters long.", n=MAX_QUERY_CHARS)
        )
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    excluded: list[str] = []
    tokens = _TOKEN.findall(text)
    terms = [t for t in tokens if t != "OR"]
    if len(terms) > MAX_TERMS:
        raise UserInputError(
            _("A search may have at most {n} terms.", n=MAX_TERMS)
            if search
            else _("An alert may have at most {n} terms.", n=MAX_TERMS)
        )
    for token in tokens:
        if token == "OR":
            if not current:
                raise UserInputError(_('"OR" must stand between two terms, e.g. kursk OR sudzha.'))
            groups.append(tuple(current))
            current = []
            continue
        negative = token.startswith("-") and len(token) > 1
        phrase = normalize(token[1:] if negative else token)
        if not phrase:
            continue
        (excluded if negative else current).append(phrase)
    if current:
        groups.append(tuple(dict.fromkeys(current)))
    elif groups:
        raise UserInputError(_('"OR" must stand between two terms, e.g. kursk OR sudzha.'))
    if not groups:
        raise UserInputError(
            _("A search needs at least one word to look for, e.g. /latest kursk OR sudzha.")
            if search
            else _("An alert needs at least one word to look for, e.g. /alert kursk OR sudzha.")
        )
    return Query(tuple(groups), tuple(dict.fromkeys(excluded)))


def _anchor(group: tuple[str, ...]) -> str:
    """The word a group is filed under: its longest (ties: first), a proxy for its rarest."""
    return max((w for phrase in group for w in phrase.split()), key=len)


class AlertIndex:
    """Every chat's parsed alerts, matched together against one story's text.

    Built once per polling round from ``(chat, query)`` pairs; queries that no longer parse
    (stored before a syntax change) are skipped.
    """

    def __init__(self, alerts: Sequence[tuple[ChatRef, str]]) -> None:
        self._entries: list[tuple[ChatRef, Query]] = []
        self._by_anchor: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for chat, text in alerts:
            try:
                query = parse_query(text)
            except UserInputError:
                continue
            number = len(self._entries)
            self._entries.append((chat, query))
            for g, group in enumerate(query.groups):
                self._by_anchor[_anchor(group)].append((number, g))

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, text: str) -> dict[ChatRef, tuple[str, ...]]:
        """Chats whose alerts match ``text``, with the terms that matched (each chat once)."""
        doc = Document(text)
        candidates: dict[int, list[int]] = defaultdict(list)
        for token in doc.tokens & self._by_anchor.keys():
            for number, group in self._by_anchor[token]:
                candidates[number].append(group)
        hits: dict[ChatRef, tuple[str, ...]] = {}
        for number in sorted(candidates):
            chat, query = self._entries[number]
            terms = query.matching_groups(doc, sorted(candidates[number]))
            if terms:
                hits[chat] = tuple(dict.fromkeys(hits.get(chat, ()) + terms))
        return hits
