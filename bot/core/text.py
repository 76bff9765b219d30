"""``plain_text``: the visible text of an HTML fragment, on one line.

Feed HTML reaches newsbrief unsanitised (``bot/feeds/parse.py``), and every place that reads it
as text -- parsing, alert matching, near-duplicate checks -- goes through this one function:
scripts, styles, templates and comments are dropped, entities decoded, block elements become
spaces and whitespace collapses.
"""

from __future__ import annotations

from html.parser import HTMLParser

_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "head"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TEXT:
            self._skip += 1
        elif tag in _BLOCKS:
            self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TEXT and self._skip:
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
