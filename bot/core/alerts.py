"""Keyword-alert syntax and matching (never a user-supplied regular expression).

A query is words and ``"quoted phrases"``; terms side by side must all match (implicit AND),
``OR`` separates alternatives, and ``-term`` excludes. Matching is case- and
accent-insensitive on word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.errors import UserInputError
from bot.core.models import ChatRef

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Lower-case, strip accents, and reduce to space-separated word tokens."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(bare))


@dataclass(frozen=True)
class Query:
    """A parsed alert: any of ``groups`` (each a tuple of phrases that must all occur), and
    none of ``excluded``. Phrases are normalised word sequences."""

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...]

    def matches(self, text: str) -> tuple[str, ...]:
        """The matched group's phrases when ``text`` matches, else ``()``."""
        padded = f" {normalize(text)} "
        if any(f" {p} " in padded for p in self.excluded):
            return ()
        for group in self.groups:
            if all(f" {p} " in padded for p in group):
                return group
        return ()


def parse_query(text: str) -> Query:
    """Parse an alert query or raise ``UserInputError`` saying how to write one."""
    if len(text) > MAX_QUERY_CHARS:
        raise UserInputError(f"An alert may be at most {MAX_QUERY_CHARS} characters long.")
    groups: list[tuple[str, ...]] = []
    current: list[str] = []
    excluded: list[str] = []
    tokens = _TOKEN.findall(text)
    if len(tokens) > MAX_TERMS * 2:
        raise UserInputError(f"An alert may have at most {MAX_TERMS} terms.")
    for token in tokens:
        if token == "OR":
            if not current:
                raise UserInputError('"OR" must stand between two terms, e.g. kursk OR sudzha.')
            groups.append(tuple(current))
            current = []
            continue
        negative = token.startswith("-") and len(token) > 1
        phrase = normalize(token[1:] if negative else token)
        if not phrase:
            continue
        (excluded if negative else current).append(phrase)
    if current:
        groups.append(tuple(current))
    elif groups:
        raise UserInputError('"OR" must stand between two terms, e.g. kursk OR sudzha.')
    if not groups:
        raise UserInputError(
            "An alert needs at least one word to look for, e.g. /alert kursk OR sudzha."
        )
    return Query(tuple(groups), tuple(excluded))


class AlertIndex:
    """Every chat's parsed alerts, matched together against one story's text."""

    def __init__(self, alerts: Sequence[tuple[ChatRef, str]]) -> None:
        self._entries: list[tuple[ChatRef, Query]] = []
        for chat, text in alerts:
            try:
                self._entries.append((chat, parse_query(text)))
            except UserInputError:
                continue  # stored before a syntax change; it cannot match anything now

    def match(self, text: str) -> dict[ChatRef, tuple[str, ...]]:
        """Chats whose alerts match ``text``, with the terms that matched (each chat once)."""
        hits: dict[ChatRef, tuple[str, ...]] = {}
        for chat, query in self._entries:
            terms = query.matches(text)
            if terms:
                hits[chat] = tuple(dict.fromkeys(hits.get(chat, ()) + terms))
        return hits
