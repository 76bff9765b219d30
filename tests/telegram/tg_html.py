"""What Telegram does with ``parse_mode=HTML``: parse the supported tags into visible text.

Used by the fake Bot API to refuse what Telegram refuses ("can't parse entities") and to
measure a message the way Telegram does: UTF-16 code units of the text after entity parsing.
"""

from __future__ import annotations

from html.parser import HTMLParser

SUPPORTED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)


_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityError(ValueError):
    """The HTML is not what Telegram accepts; the message is Telegram's wording."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.stack: list[str] = []
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SUPPORTED_TAGS:
            raise EntityError(f'Unsupported start tag "{tag}"')
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise EntityError("Can't find href in a tag")
            self.links.append(href)
        self.stack.append(tag)
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise EntityError(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise EntityError("Unexpected character <: escape it as &lt;")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED:
            raise EntityError(f'Unsupported HTML entity "&{name};"')
        self.text.append(_NAMED[name])

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[:1] in "xX" else int(name)
        self.text.append(chr(code))


def parse(markup: str) -> tuple[str, list[str], list[str]]:
    """``(visible text, link targets, tags used)``; raises ``EntityError``."""
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    if parser.stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"')
    return "".join(parser.text), parser.links, parser.tags


def utf16_len(text: str) -> int:
    """Telegram's length: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
