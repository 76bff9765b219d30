"""Where a sentence ends in a brief's text: the one rule of every renderer and of ``clip``.

A run of stops (``.!?…`` or the full-width ``。！？``) with any closing quotes or brackets ends a
sentence when the text ends there, or when whitespace and a character that is not lowercase
follow (so "3.5" and "e.g. in" do not end one). A full-width stop always ends one. A full stop
after a known abbreviation ("Mr.", "Gen."), an initial ("J.") or a dotted word ("U.S.") does not.

The summariser splits article text with its own splitter (``summarizer.sentences``): it never
imports the bot, and the core never imports the summariser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_STOPS = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*")
_WIDE_STOPS = "。！？"
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "mt",
        "jr",
        "sr",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "rev",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "etc",
        "no",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)


def sentence_ends(text: str) -> Iterator[int]:
    """Offsets just after each sentence end of ``text``."""
    for match in _STOPS.finditer(text):
        end = match.end()
        if match.group()[0] in _WIDE_STOPS:
            yield end
            continue
        rest = text[end:]
        following = rest.lstrip()
        if following and (not rest[:1].isspace() or following[0].islower()):
            continue
        if match.group()[0] == "." and _abbreviated(text[: match.start()]):
            continue
        yield end


def _abbreviated(before: str) -> bool:
    words = before.rsplit(None, 1)
    word = words[-1].rstrip(".").lower() if words else ""
    return (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS or "." in word
