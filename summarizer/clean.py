"""Headline and article-text cleaning: what every backend sees.

`clean_title` removes markup, entities and site suffixes from a headline. `clean_text` turns
an HTML or plain-text body into prose paragraphs without page furniture; `clean_paragraphs`
does the same work but returns the sentences, so that the text is split only once.

The steps of `clean_paragraphs`, in order:

1. HTML to paragraphs (`summarizer.markup`), or plain text split at line breaks (hard-wrapped
   lines are joined back); entities decoded, invisible characters removed.
2. Inline furniture removed (`summarizer.furniture.INLINE`: Daily Mail bylines and stamps,
   "Scroll down for video", "(pictured)", "(Image credit: ...)", BBC media notices).
3. Wire datelines and bylines removed from the start of the text ("(CNN)", "WASHINGTON
   (Reuters) -", "By John Smith, CNN"), then the headline when the text repeats it; a wire
   dateline ("SANTA FE, N.M. (AP) —", "PARIS (AFP) -", "NEW YORK —") also from the first
   prose paragraph when a URL or headline line comes before it.
4. A list item's bullet ("- ", "• ") removed; sentence split; Daily Mail captions glued to
   the next sentence are cut off and dropped; prompts (follow us, newsletters, apps, "Read
   more", "Also on example.com", "Like this story?", "Please use Chrome browser ...") and
   sentences that repeat the headline or an earlier sentence are dropped. A paragraph's last
   sentence goes when it is a lead-in ending with a colon (to a list or embedded post the
   text lacks), or, after other sentences, a short credit ("... said. PTI") or a headline.
5. Paragraphs that are not prose are dropped, unless nothing else is left: labels ("10
   p.m."), short paragraphs that do not end a sentence (menus, sub-headings, photo credits),
   and one-sentence lines without a sentence end that are list items, headlines or listings
   in Title Case, captions ending in a credit ("... via Example Labs"), or come before the
   first paragraph that ends a sentence (headline, standfirst, byline). Other lines without
   a full stop stay: news text often loses one (the eval data has many).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from summarizer import furniture
from summarizer.markup import html_to_paragraphs, looks_like_html
from summarizer.sentences import ends_sentence, split_sentences
from summarizer.words import content_words, count_words, words_of

_WS = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[.,;:!?](?:\s|$))")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]|ï»¿")
_TITLE_PREFIX = re.compile(
    r"^(?:VIDEO|WATCH|LISTEN|PHOTOS?|GALLERY|AUDIO|IN PICTURES)\s*:\s*(?=\S)", re.IGNORECASE
)
_TITLE_SEPARATOR = re.compile(r"\s+(\||-|–|—|::|·|•)\s+")
_SITE_WORDS = frozenset(
    {
        "news", "times", "post", "bbc", "cnn", "reuters", "guardian", "mail", "telegraph",
        "independent", "express", "mirror", "herald", "tribune", "journal", "gazette",
        "chronicle", "observer", "sky", "abc", "nbc", "cbs", "fox", "npr", "ap", "afp",
        "bloomberg", "politico", "axios", "vox", "wired", "techcrunch", "engadget", "verge",
        "online", "daily", "weekly", "magazine", "radio", "tv", "press", "insider", "standard",
        "economist", "jazeera", "dw", "euronews", "cnbc", "msnbc", "today", "quanta",
        "spiegel", "zeit", "monde", "heise", "sport", "sports", "bbc.com", "yahoo",
    }
)  # fmt: skip
_DOMAIN = re.compile(r"\b[\w-]+\.(?:com|co\.uk|org|net|news|de|fr|es|it|io|ca|au|in)\b", re.I)
MIN_PARAGRAPH_WORDS = 8
MIN_CAPTION_WORDS = 4
TITLE_WORD_LETTERS = 4
TITLE_CASE_SHARE = 0.75
_LOWER_WORD = re.compile(r"(?<![\w.])[^\W\d_A-Z]{3,}\b")
_LETTER_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
MAX_SHORT_QUOTE_WORDS = 6
_CLOSING_QUOTES = "’”\"'"
_OPENING_QUOTES = "‘“\"'"
HEADLINE_OVERLAP = 0.8
DATELINE_PARAGRAPHS = 4


@dataclass(frozen=True)
class _Paragraph:
    sentences: list[str]
    bullet: bool = False
    """The paragraph was a list item ("- ", "• "), its marker removed."""


def _unescape(text: str) -> str:
    # Feeds sometimes escape twice ("&amp;amp;"); two rounds are enough.
    for _ in range(2):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return _INVISIBLE.sub("", text).replace("\xa0", " ")


def _is_site_name(tail: str, separator: str) -> bool:
    words = tail.split()
    if separator in ("|", "::", "·", "•"):
        return len(words) <= 6
    if len(words) > 5:
        return False
    if _DOMAIN.search(tail):
        return True
    # Site names are capitalised: "- and the Times" is part of the headline.
    lowered = {w.lower().strip(".,") for w in words}
    return tail[:1].isupper() and bool(lowered & _SITE_WORDS)


def clean_title(title: str) -> str:
    """Clean a publisher headline for display.

    Decodes HTML entities (also doubly escaped ones), removes tags, collapses whitespace,
    drops a leading "VIDEO:"/"WATCH:" label and trailing site names (" | Sky News",
    " - BBC News", " — The Guardian").

    Args:
        title: The headline as found in the feed or page.

    Returns:
        The cleaned headline; "" for a blank one.
    """
    text = _WS.sub(" ", _TAG.sub(" ", _unescape(title))).strip()
    text = _TITLE_PREFIX.sub("", text)
    for _ in range(2):
        matches = list(_TITLE_SEPARATOR.finditer(text))
        if not matches:
            break
        last = matches[-1]
        head, tail = text[: last.start()].strip(), text[last.end() :].strip()
        if not head or not _is_site_name(tail, last.group(1)):
            break
        text = head
    return text


def repeats_headline(sentence: str, title: str) -> bool:
    """Return True when `sentence` says no more than the headline `title`.

    Both must share at least 80% of each other's distinct content words (case,
    punctuation and stop words ignored). An empty title repeats nothing.
    """
    title_words = content_words(title)
    sentence_words = content_words(sentence)
    if not title_words or not sentence_words:
        return False
    shared = len(title_words & sentence_words)
    return shared >= HEADLINE_OVERLAP * max(len(title_words), len(sentence_words))


def _plain_paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    for line in text.splitlines():
        line = _WS.sub(" ", line).strip()
        if not line:
            continue
        if paragraphs and line[0].islower() and not ends_sentence(paragraphs[-1]):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"  # a hard-wrapped line
        else:
            paragraphs.append(line)
    return paragraphs


def _strip_inline(paragraph: str) -> str:
    for pattern in furniture.INLINE:
        removed = pattern.sub(" ", paragraph)
        if removed != paragraph:
            paragraph = _SPACE_BEFORE_PUNCTUATION.sub("", removed)
    return _WS.sub(" ", paragraph).strip()


def _strip_leading(paragraphs: list[str], title: str) -> list[str]:
    while paragraphs:
        first = paragraphs[0]
        for _ in range(3):
            before = first
            for pattern in furniture.LEADING:
                first = pattern.sub("", first, count=1).lstrip(" .|-–—")
            if first == before:
                break
        first = _strip_headline_prefix(first, title)
        if first:
            return [first, *paragraphs[1:]]
        paragraphs = paragraphs[1:]
    return paragraphs


def _strip_dateline(paragraphs: list[str]) -> list[str]:
    """Remove a wire dateline from the first prose paragraph (see `furniture.WIRE_DATELINE`),
    also when short lines (a URL, the headline) come before it."""
    for i, paragraph in enumerate(paragraphs[:DATELINE_PARAGRAPHS]):
        if count_words(paragraph) < MIN_PARAGRAPH_WORDS and not ends_sentence(paragraph):
            continue
        stripped = furniture.WIRE_DATELINE.sub("", paragraph, count=1)
        if stripped and stripped != paragraph:
            return [*paragraphs[:i], stripped, *paragraphs[i + 1 :]]
        break
    return paragraphs


def _strip_headline_prefix(paragraph: str, title: str) -> str:
    """Remove the headline when the paragraph starts with it (word for word)."""
    title_words = words_of(title)
    if not title_words:
        return paragraph
    for matched, match in enumerate(re.finditer(r"\w+", paragraph), start=1):
        if match.group().lower() != title_words[matched - 1]:
            return paragraph
        if matched == len(title_words):
            return paragraph[match.end() :].lstrip(" .:|-–—")
    return paragraph


def _closes_soon(tokens: list[str], start: int) -> bool:
    """True when the quotation opened at `tokens[start]` closes within a few words: a
    nickname or a title ("Mike 'Sugar Bear' Thompson"), not glued quoted speech."""
    for i in range(start, min(start + MAX_SHORT_QUOTE_WORDS, len(tokens))):
        word = tokens[i].rstrip(".,;:!?")
        if word[-1:] in _CLOSING_QUOTES and (i > start or len(word) > 2):
            return True
    return False


def _is_glue_point(tokens: list[str], i: int) -> bool:
    previous, token = tokens[i - 1], tokens[i]
    if token in furniture.GLUE_STARTERS:
        pass
    elif not furniture.OPENING_QUOTE_CAPITAL.match(token) or _closes_soon(tokens, i):
        return False
    if not previous or not (previous[-1].isalnum() or previous[-1] in _CLOSING_QUOTES + ")"):
        return False
    return previous.lower().strip("‘’“”\"'") not in furniture.GLUE_BLOCKERS


def _split_glued(sentence: str) -> list[str]:
    """Cut a sentence where a Daily Mail image caption is glued to it.

    Never inside an open quotation ("his 'How Did We Get Here?' column"). Returns the
    pieces; every piece but the last one that does not end a sentence is a caption.
    """
    tokens = sentence.split(" ")
    pieces: list[str] = []
    start = 0
    quoted = False
    for i in range(1, len(tokens)):
        previous = tokens[i - 1]
        quoted = quoted or previous[:1] in _OPENING_QUOTES
        if previous.rstrip(".,;:!?")[-1:] in _CLOSING_QUOTES and len(previous) > 1:
            quoted = False
        if not quoted and i - start >= MIN_CAPTION_WORDS and _is_glue_point(tokens, i):
            pieces.append(" ".join(tokens[start:i]))
            start = i
    pieces.append(" ".join(tokens[start:]))
    return pieces


def _without_captions(sentence: str) -> list[str]:
    *leading, last = _split_glued(sentence)
    return [p for p in leading if ends_sentence(p)] + [last]


def _is_title_case(text: str) -> bool:
    """True when nearly every word of four or more letters is capitalised: a headline or a
    listing ("Ferry Timetable Changes for Winter", "June 9 -- Harbour Hall, Oslo")."""
    words: list[str] = [w for w in _LETTER_WORD.findall(text) if len(w) >= TITLE_WORD_LETTERS]
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 2 and capitalised >= TITLE_CASE_SHARE * len(words)


def _is_headline_or_credit(text: str) -> bool:
    """True for text without a sentence end that is a headline or listing in Title Case, or
    a caption ending in its credit ("... keyboard via Example Labs")."""
    if ends_sentence(text):
        return False
    return _is_title_case(text) or furniture.CAPTION_CREDIT.search(text) is not None


def _last_sentence_kept(sentences: list[str]) -> bool:
    """False for a paragraph's last sentence that is a lead-in ending with a colon (to a list
    or an embedded post the text lacks), or, after other sentences, a credit ("... the
    officials said. PTI") or a headline glued on."""
    last = sentences[-1].rstrip()
    if last.endswith(":"):
        return False
    if len(sentences) == 1 or ends_sentence(last):
        return True
    return count_words(last) >= MIN_CAPTION_WORDS and not _is_headline_or_credit(last)


def _is_prose(paragraph: _Paragraph, leading: bool) -> bool:
    """False for a paragraph that only looks like text: a label ("10 p.m."), a short line
    without a sentence end (menus, sub-headings, credits), and a whole line without one that
    is a list item, a headline or caption (`_is_headline_or_credit`), or comes before the
    article's first sentence end (its headline, standfirst, byline)."""
    text = " ".join(paragraph.sentences)
    if ends_sentence(text):
        return count_words(text) >= MIN_CAPTION_WORDS or _LOWER_WORD.search(text) is not None
    if count_words(text) < MIN_PARAGRAPH_WORDS:
        return False
    single = len(paragraph.sentences) == 1
    return not (single and (paragraph.bullet or leading or _is_headline_or_credit(text)))


def sentence_key(sentence: str) -> str:
    """A sentence normalised for comparison: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", sentence).casefold().split())


def clean_paragraphs(
    text: str, *, title: str | None = None, drop: Collection[str] = ()
) -> list[list[str]]:
    """Clean an article body and split it into sentences (see the module docstring).

    Args:
        text: The article body, HTML or plain text.
        title: The headline, cleaned or not; used to drop sentences that repeat it.
        drop: Sentences to leave out, as `sentence_key` gives them (learned furniture).

    Returns:
        The paragraphs of the cleaned text, each a non-empty list of sentences.
    """
    headline = clean_title(title) if title else ""
    text = _unescape(text) if "&lt;" in text and not looks_like_html(text) else text
    raw = html_to_paragraphs(text) if looks_like_html(text) else _plain_paragraphs(_unescape(text))
    stripped = [p for p in (_strip_inline(p) for p in raw) if p]
    paragraphs: list[_Paragraph] = []
    seen: set[str] = set()
    for paragraph in _strip_dateline(_strip_leading(stripped, headline)):
        bullet = furniture.BULLET.match(paragraph)
        paragraph = paragraph[bullet.end() :] if bullet else paragraph
        kept: list[str] = []
        for sentence in (s for raw in split_sentences(paragraph) for s in _without_captions(raw)):
            key = " ".join(words_of(sentence))
            if (
                not key
                or key in seen
                or furniture.DROP_SENTENCE.match(sentence)
                or (drop and sentence_key(sentence) in drop)
                or repeats_headline(sentence, headline)
            ):
                continue
            seen.add(key)
            kept.append(sentence)
        if kept and not _last_sentence_kept(kept):
            kept.pop()
        if kept:
            paragraphs.append(_Paragraph(kept, bullet=bullet is not None))
    body = next((i for i, p in enumerate(paragraphs) if ends_sentence(p.sentences[-1])), 0)
    prose = [p.sentences for i, p in enumerate(paragraphs) if _is_prose(p, leading=i < body)]
    return prose or [p.sentences for p in paragraphs]


def clean_text(text: str, *, title: str | None = None) -> str:
    """Turn an HTML or plain-text article body into clean prose.

    Args:
        text: The article body.
        title: The headline, if known: a repeated headline is removed from the text.

    Returns:
        Paragraphs separated by a blank line, sentences by a space; "" when nothing is left.
    """
    return "\n\n".join(" ".join(p) for p in clean_paragraphs(text, title=title))
