"""OPML files: the subscription lists feed readers import and export.

``parse_opml`` reads an OPML 1.0/2.0 file with defusedxml, which refuses DTDs and entity
declarations (no billion laughs, no external entities), after a size check; every failure is
one ``OpmlError`` whose message says what was wrong. ``render_opml`` writes OPML 2.0.

Outlines keep their title and their categories: the ``category`` attribute ("/Tech/AI,News")
and the titles of the folders they are nested in both become topics, lower-cased.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.utils import format_datetime

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.core.errors import UserInputError
from bot.core.i18n import _
from bot.core.imports import Outline
from bot.core.models import Feed

MAX_OPML_BYTES = 2 * 1024 * 1024
"""The largest OPML file read (a list of 5,000 feeds is about 1 MB)."""

_TOPIC = re.compile(r"[^\w-]+")


class OpmlError(UserInputError):
    """The file is not an OPML list newsbrief can read; the message says why."""


def check_size(size: int) -> None:
    """Refuse a file of ``size`` bytes that is larger than an OPML list is read."""
    if size > MAX_OPML_BYTES:
        raise OpmlError(
            _(
                "That file is {size} MB; an OPML list is read up to {max} MB. "
                "Split it, or export fewer feeds.",
                size=f"{size / 1e6:.1f}",
                max=MAX_OPML_BYTES // (1024 * 1024),
            )
        )


def parse_opml(data: bytes) -> list[Outline]:
    """Every feed outline of an OPML file, in file order, each URL once."""
    check_size(len(data))
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise OpmlError(
            _(
                "That file declares a DTD or XML entities, which newsbrief refuses to read. "
                "Export the list again from your feed reader."
            )
        ) from exc
    except ET.ParseError as exc:
        raise OpmlError(
            _("That file is not XML ({error}). Send an .opml file.", error=exc)
        ) from exc
    if root.tag.lower() != "opml":
        raise OpmlError(
            _("That XML file is not OPML (its root is <{root}>, not <opml>).", root=root.tag)
        )
    body = root.find("body")
    if body is None:
        raise OpmlError(_("That OPML file has no <body>, so it lists no feeds."))
    seen: set[str] = set()
    outlines: list[Outline] = []
    for outline in _walk(body, ()):
        if outline.url not in seen:
            seen.add(outline.url)
            outlines.append(outline)
    return outlines


def _walk(parent: ET.Element, folders: tuple[str, ...]) -> Iterator[Outline]:
    for node in parent.findall("outline"):
        label = (node.get("title") or node.get("text") or "").strip()
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if url:
            topics = folders + _categories(node.get("category") or "")
            yield Outline(url=url, title=label, topics=tuple(dict.fromkeys(topics)))
        else:
            folder = _topic(label)
            yield from _walk(node, folders + ((folder,) if folder else ()))


def _categories(value: str) -> tuple[str, ...]:
    """OPML 2.0 categories: comma-separated, each a slash path; every segment is a topic."""
    parts = (seg for cat in value.split(",") for seg in cat.split("/"))
    return tuple(t for t in map(_topic, parts) if t)


def _topic(label: str) -> str:
    return _TOPIC.sub("-", label.strip().lower()).strip("-")[:40]


def render_opml(title: str, feeds: Sequence[Feed], now: datetime) -> bytes:
    """OPML 2.0 listing ``feeds``, grouped in folders by their first topic, every topic also
    in the ``category`` attribute (so a reader that ignores folders keeps them)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.topics:
            first = feed.topics[0]
            if first not in folders:
                folders[first] = ET.SubElement(body, "outline", text=first, title=first)
            parent = folders[first]
        attrs = {"type": "rss", "text": feed.title, "title": feed.title, "xmlUrl": feed.url}
        if feed.topics:
            attrs["category"] = ",".join(f"/{t}" for t in feed.topics)
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
