"""Fitting summary sentences to a length budget, for every backend.

Rules (the contract of `Summarizer.summarize`):

* `Budget.sentences` given: the first that many candidates, whatever their length.
* Otherwise sentences are taken in order of preference while the summary stays within
  `max_words`; the first candidate is always taken, even when it alone is longer.
  Extractive backends skip a sentence that does not fit and try the next one
  (`contiguous=False`); lead stops at the first that does not fit, to stay a lede.
* `max_chars` is a hard limit on the joined text: sentences that would cross it are not
  taken, and when even one sentence is too long it is cut at a word boundary and ends
  with "…". Nothing else ever ends mid-sentence.
* A sentence that repeats the headline is never taken.
* The result is in article order (candidates carry their position).
"""

from __future__ import annotations

from collections.abc import Iterable

from summarizer.base import Budget
from summarizer.clean import repeats_headline
from summarizer.words import count_words

ELLIPSIS = "…"
_TRAILING = " ,;:-–—([{\"'‘“"


def truncate(text: str, max_chars: int) -> str:
    """Cut `text` to at most `max_chars` characters at a word boundary, ending with "…".

    Text that already fits is returned unchanged. A first word longer than the limit is
    cut inside the word (there is no boundary to cut at).
    """
    if len(text) <= max_chars:
        return text
    room = max_chars - len(ELLIPSIS)
    cut = text[: room + 1]
    boundary = cut.rfind(" ")
    head = cut[:boundary] if boundary > 0 else cut[:room]
    return head.rstrip(_TRAILING) + ELLIPSIS


def fit(
    candidates: Iterable[tuple[int, str]],
    budget: Budget,
    *,
    title: str = "",
    contiguous: bool = False,
) -> tuple[str, ...]:
    """Choose summary sentences from ranked candidates.

    Args:
        candidates: `(position, sentence)` pairs, most wanted first; positions order the
            output.
        budget: The length limits (see the module docstring).
        title: The cleaned headline; sentences that repeat it are skipped.
        contiguous: Stop at the first candidate that does not fit instead of skipping it.

    Returns:
        The chosen sentences in position order; empty only when there are no candidates.
    """
    chosen: list[tuple[int, str]] = []
    words = chars = 0
    for position, sentence in candidates:
        if budget.sentences is not None and len(chosen) == budget.sentences:
            break
        if title and repeats_headline(sentence, title):
            continue
        new_words = words + count_words(sentence)
        new_chars = chars + len(sentence) + (1 if chosen else 0)
        too_long = budget.sentences is None and new_words > budget.max_words
        too_wide = budget.max_chars is not None and new_chars > budget.max_chars
        if chosen and (too_long or too_wide):
            if contiguous:
                break
            continue
        chosen.append((position, sentence))
        words, chars = new_words, new_chars
    chosen.sort()
    sentences = [sentence for _, sentence in chosen]
    if budget.max_chars is not None and sentences and len(sentences[0]) > budget.max_chars:
        sentences = [truncate(sentences[0], budget.max_chars)]
    return tuple(sentences)
