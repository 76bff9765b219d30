"""``plain_text``: the visible text of an HTML fragment, on one line.

Feed HTML reaches newsbrief unsanitised (``bot/feeds/parse.py``), and every place that reads it
as text -- parsing, alert matching, near-duplicate checks -- goes through this one function:
scripts, styles, templates and comments are dropped, entities decoded, block elements become
spaces and whitespace collapses. Only HTML markup is markup: something that looks like a tag
but names no HTML element (``AT&T <Q3> results``, ``<Ticker>``) is text and is kept as written;
custom elements and namespaced tags (``<amp-img>``, ``<o:p>``) count as markup.

``title_hash``: the one rule by which a headline identifies a story (a feed entry's key when it
has neither link nor guid, and one of the marks storage recognises an entry by again).
"""

from __future__ import annotations

import hashlib
import unicodedata
from html.parser import HTMLParser

_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "head"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
)

_WORDS = """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound
    big blink blockquote body br button canvas caption center cite code col colgroup data
    datalist dd del details dfn dialog dir div dl dt em embed fieldset figcaption figure font
    footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img
    input ins isindex kbd keygen label legend li link listing main map mark marquee math menu
    menuitem meta meter multicol nav nextid nobr noembed noframes noscript object ol optgroup
    option output p param picture plaintext pre progress q rb rp rt rtc ruby s samp script
    search section select slot small source spacer span strike strong style sub summary sup svg
    table tbody td template textarea tfoot th thead time title tr track tt u ul var video wbr
    xmp"""
_ELEMENTS = frozenset(_WORDS.split())
"""Every HTML element name, current and obsolete (the WHATWG list), plus ``svg`` and ``math``."""


def _is_markup(tag: str) -> bool:
    return tag in _ELEMENTS or "-" in tag or ":" in tag


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not _is_markup(tag):
            self.handle_data(self.get_starttag_text() or "")
        elif tag in _SKIP_TEXT:
            self._skip += 1
        elif tag in _BLOCKS:
            self.chunks.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not _is_markup(tag):
            self.handle_data(self.get_starttag_text() or "")
        elif tag in _BLOCKS:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if not _is_markup(tag):
            self.handle_data(f"</{tag}>")  # the parser gives the name lower-cased
        elif tag in _SKIP_TEXT and self._skip:
            self._skip -= 1
        elif tag in _BLOCKS:
            self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def plain_text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed to single spaces."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.chunks).split())


def title_hash(title: str) -> str:
    """A hash of the normalised title (NFKC, case-folded, whitespace collapsed)."""
    norm = " ".join(unicodedata.normalize("NFKC", title).casefold().split())
    return hashlib.sha1(norm.encode()).hexdigest()
