"""HTML to paragraphs of plain text, dropping page furniture by structure.

Used by `summarizer.clean` when an article body is HTML: a feed's `content:encoded` or
`description`, or a whole article page. The standard library's `html.parser` is enough here
(it tolerates broken markup and decodes entities); a real main-content extractor
(trafilatura) is the bot's job, upstream of the summariser.

What is dropped, and why:

* Elements that never hold article prose: scripts, styles, forms, media, figures and their
  captions, navigation, headers, footers and asides.
* Elements whose class or id names a furniture role ("share", "newsletter", "related",
  "byline", "caption", "feedflare", ...). A page whose whole body sits in such an element
  would lose everything, so when that filter removes more than 80% of the text it is not
  applied.
* Paragraphs that are mostly link text (menus, "Related:" lists, "The post ... appeared first
  on ..."): more than 60% of their characters inside `<a>`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP_TAGS = frozenset(
    {
        "head", "script", "style", "noscript", "template", "svg", "math", "iframe", "object",
        "embed", "canvas", "video", "audio", "picture", "figure", "figcaption", "form",
        "button", "select", "textarea", "nav", "header", "footer", "aside", "dialog",
    }
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
        "h6", "blockquote", "section", "article", "main", "tr", "table", "pre", "hr",
        "address", "body", "html",
    }
)  # fmt: skip
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_FURNITURE_WORDS = frozenset(
    {
        "share", "sharing", "social", "newsletter", "related", "promo", "advert", "ad", "ads",
        "advertisement", "sponsored", "caption", "byline", "comments", "comment", "subscribe",
        "subscription", "signup", "cookie", "cookies", "breadcrumb", "breadcrumbs", "menu",
        "sidebar", "popular", "recommended", "feedflare", "paywall", "outbrain", "taboola",
        "toolbar", "credit", "credits", "modal", "popup", "hidden",
    }
)  # fmt: skip
# Structural tags are never dropped for their class names: they wrap the article itself.
_NEVER_FURNITURE = frozenset({"html", "body", "main", "article"})
_NAME_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_WS = re.compile(r"\s+")
_HTML_HINT = re.compile(
    r"<(?:p|br|div|span|a|img|ul|ol|li|h[1-6]|strong|em|b|i|figure|section|article|html|body|"
    r"table|blockquote)\b[^>]*>|</[a-z][a-z0-9]*\s*>",
    re.IGNORECASE,
)
MAX_LINK_DENSITY = 0.6
_MIN_KEPT_SHARE = 0.2


def looks_like_html(text: str) -> bool:
    """Return True when `text` contains common HTML tags (and so needs `html_to_paragraphs`)."""
    return _HTML_HINT.search(text) is not None


def _is_furniture(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _NEVER_FURNITURE:
        return False
    for key, value in attrs:
        if key in ("class", "id", "role") and value:
            words = {w.lower() for w in _NAME_SPLIT.split(value) if w}
            if words & _FURNITURE_WORDS or (key == "role" and value == "navigation"):
                return True
        if key == "hidden" or (key == "aria-hidden" and value == "true"):
            return True
    return False


def _pop_to(stack: list[str], tag: str) -> None:
    """Pop `stack` back to the innermost open `tag`; an unmatched end tag changes nothing."""
    if tag in stack:
        while stack.pop() != tag:
            pass


class _ParagraphParser(HTMLParser):
    """Collects visible paragraphs, with their link-text share and furniture flag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._skip_stack: list[str] = []
        self._furniture_stack: list[str] = []
        self._link_depth = 0
        self._parts: list[str] = []
        self._link_chars = 0
        self.paragraphs: list[tuple[str, bool]] = []

    def _flush(self) -> None:
        text = _WS.sub(" ", "".join(self._parts)).strip()
        if text and self._link_chars <= MAX_LINK_DENSITY * len(text):
            self.paragraphs.append((text, bool(self._furniture_stack)))
        self._parts.clear()
        self._link_chars = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            self.handle_startendtag(tag, attrs)
            return
        if self._skip_stack or tag in _SKIP_TAGS:
            if not self._skip_stack:
                self._flush()
            self._skip_stack.append(tag)
            return
        opens_furniture = not self._furniture_stack and _is_furniture(tag, attrs)
        if tag in _BLOCK_TAGS or opens_furniture:
            self._flush()
        if self._furniture_stack or opens_furniture:
            self._furniture_stack.append(tag)
        if tag == "a":
            self._link_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_stack and tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self._skip_stack:
            _pop_to(self._skip_stack, tag)
            return
        in_furniture = tag in self._furniture_stack
        if tag in _BLOCK_TAGS or in_furniture:
            self._flush()
        if in_furniture:
            _pop_to(self._furniture_stack, tag)
        if tag == "a" and self._link_depth:
            self._link_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip_stack:
            return
        self._parts.append(data)
        if self._link_depth:
            self._link_chars += len(_WS.sub(" ", data).strip())

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_paragraphs(markup: str) -> list[str]:
    """Convert HTML to its visible prose paragraphs.

    Args:
        markup: An HTML fragment or a whole page.

    Returns:
        Paragraphs of plain text (entities decoded, whitespace collapsed), in document
        order, without the furniture listed in the module docstring.
    """
    parser = _ParagraphParser()
    parser.feed(markup)
    parser.close()
    kept = [text for text, furniture in parser.paragraphs if not furniture]
    if sum(map(len, kept)) < _MIN_KEPT_SHARE * sum(len(text) for text, _ in parser.paragraphs):
        return [text for text, _ in parser.paragraphs]
    return kept
