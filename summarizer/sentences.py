"""Sentence splitting for news text.

`nupunkt` (a pure-Python Punkt with a bundled English model, no NLTK data) does the work: it
survives "U.S.", "D.C.", "a.m.", initials ("J.K. Rowling"), decimals and quoted speech. Two
repairs on top of it, both measured on the development data:

* Punkt keeps "grew 2.5 per cent. Mr Smith said" together when the next word is a title it
  knows as an abbreviation. A lowercase word of two or more letters followed by a full stop
  and a capitalised word is a sentence end in news copy, unless the word is a known lowercase
  abbreviation ("etc.", "vs.", "approx.").
* Punkt splits after a title abbreviation followed by another one ("Lt. Col. John Smith");
  a sentence that ends with a title is joined to the next.
* Punkt splits after country and organisation initials ("U.S.", "U.K.", "U.N.", "E.U.")
  before any capitalised word; the split is undone when that word is not a usual sentence
  opener (a stop word such as "The", "He", "But"): "the U.S. Ambassador to Ukraine".
* Punkt splits after a quoted question or exclamation; a short attribution that follows
  (`"...?" Schiff asked.`, `"...!" she said.`) is joined back to the quote.

Line breaks always end a sentence: paragraphs never run into each other.
"""

from __future__ import annotations

import re

import nupunkt

from summarizer.words import STOPWORDS

_MISSED_BOUNDARY = re.compile(r"(?<![\w.])(?P<word>[a-z]{2,})\.(?P<space>\s+)(?=[\"“‘']?[A-Z])")
_LOWER_ABBREVIATIONS = frozenset(
    {
        "etc", "vs", "approx", "cf", "al", "viz", "seq", "co", "pp", "ed", "op", "ft", "oz",
        "lb", "lbs", "st", "mt", "no", "vol", "fig", "dept", "est", "min", "max", "inc",
        "ltd", "corp", "jr", "sr", "bros", "cit",
    }
)  # fmt: skip
_TITLE_AT_END = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Rev|Gov|Sen|Rep|Lt|Col|Gen|Sgt|Capt|Cmdr|Adm|Maj|Cpl|Pte|Pvt|"
    r"Supt|Det|Insp|Hon|Brig|Fr)\.$"
)
_INITIALS_AT_END = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,3}$")
_QUOTE_AT_END = re.compile(r"[?!,…][\"”’']$")
_SPEECH_VERBS = frozenset(
    {
        "said", "says", "asked", "asks", "added", "adds", "told", "replied", "replies",
        "wrote", "writes", "explained", "continued", "insisted", "shouted", "yelled",
        "cried", "exclaimed", "answered", "responded", "recalled", "wondered", "tweeted",
    }
)  # fmt: skip
MAX_ATTRIBUTION_WORDS = 4
_TERMINATED = re.compile(r"[.!?…][\"'”’)\]]*$")
_WS = re.compile(r"[^\S\n]+")
_LINES = re.compile(r"\s*\n\s*")


def _split_missed(sentence: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _MISSED_BOUNDARY.finditer(sentence):
        if match["word"] in _LOWER_ABBREVIATIONS:
            continue
        end = match.start("space")
        pieces.append(sentence[start:end])
        start = match.end("space")
    pieces.append(sentence[start:])
    return pieces


def _continues_initials(previous: str, piece: str) -> bool:
    """'the U.S.' + 'Ambassador to ...': initials, then a capitalised non-opener."""
    if not _INITIALS_AT_END.search(previous):
        return False
    first = piece.split(" ", 1)[0].strip("\"“‘'(")
    return first[:1].isupper() and first.lower() not in STOPWORDS


def _is_attribution(previous: str, piece: str) -> bool:
    """'"...?"' + 'Schiff asked.': a short speech tag after a closing quote."""
    if not _QUOTE_AT_END.search(previous) or not piece.endswith("."):
        return False
    words = piece.rstrip(".").lower().split()
    if not words or len(words) > MAX_ATTRIBUTION_WORDS:
        return False
    return words[0] in _SPEECH_VERBS or words[-1] in _SPEECH_VERBS


def _joins_previous(previous: str, piece: str) -> bool:
    return (
        _TITLE_AT_END.search(previous) is not None
        or not any(map(str.isalnum, piece))
        or _continues_initials(previous, piece)
        or _is_attribution(previous, piece)
    )


def _split_paragraph(paragraph: str) -> list[str]:
    sentences: list[str] = []
    for raw in nupunkt.sent_tokenize(paragraph):
        if not isinstance(raw, str):  # only with return_spans, which is not used
            continue
        for piece in _split_missed(raw.strip()):
            if not piece:
                continue
            if sentences and _joins_previous(sentences[-1], piece):
                # "Lt." + "Col. John Smith said ...", a stray closing quote/bracket, "the
                # U.S." + "Ambassador ...", '"...?"' + "Schiff asked."
                sentences[-1] = f"{sentences[-1]} {piece}"
            else:
                sentences.append(piece)
    return sentences


def ends_sentence(text: str) -> bool:
    """True when `text` ends with sentence punctuation (possibly inside quotes/brackets)."""
    return _TERMINATED.search(text.rstrip()) is not None


def split_sentences(text: str) -> list[str]:
    """Split plain text into sentences.

    Args:
        text: Plain text; line breaks separate paragraphs.

    Returns:
        The sentences in order, each stripped and with runs of spaces collapsed. Empty
        for blank input.
    """
    sentences: list[str] = []
    for paragraph in _LINES.split(text.strip()):
        paragraph = _WS.sub(" ", paragraph).strip()
        if paragraph:
            sentences.extend(_split_paragraph(paragraph))
    return sentences
