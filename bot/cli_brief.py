"""``newsbrief brief``: the brief of one article, of a feed's entries, or of plain text.

The target is an http(s) URL, a local file, or ``-`` (standard input). What it holds decides
how it is read, in this order:

1. a feed (RSS, Atom, RDF): every entry is briefed, at most ``--limit``;
2. an HTML page: trafilatura extracts the article's main text, headline, publication date
   and site name (reported as ``published`` and ``source``);
3. plain text (UTF-8): one paragraph a line, or paragraphs separated by blank lines (lines
   inside such a paragraph are joined). The headline is ``--title``; without it, a short
   first line that does not end a sentence is taken as the headline.

No database is opened: briefing needs none. Exit codes: 0 done, 1 the target could not be
read or holds nothing to brief.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.core.errors import FeedError
from bot.core.models import Story
from bot.core.ports import SystemClock

STDIN = "-"
HEADLINE_MAX_WORDS = 20
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")


@dataclass(frozen=True)
class _Found:
    stories: list[Story]
    source: str


def plain_text_story(text: str, *, title: str, url: str, now: datetime) -> Story | None:
    """A story of plain text (see the module docstring); None when it has no words."""
    from summarizer.sentences import ends_sentence

    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _BLANK_LINE.search(text):  # blank-line paragraphs: a single newline is a wrapped line
        paragraphs = [" ".join(block.split()) for block in _BLANK_LINE.split(text)]
    else:
        paragraphs = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if not title and len(paragraphs) > 1:
        first = paragraphs[0]
        if len(first.split()) <= HEADLINE_MAX_WORDS and not ends_sentence(first):
            title, paragraphs = first, paragraphs[1:]
    if not paragraphs:
        return None
    return Story("cli", url, "", url, title, now, content_html="\n".join(paragraphs))


def _read_file(target: str) -> tuple[bytes, dict[str, str], str]:
    path = Path(target).resolve()
    return path.read_bytes(), {}, path.as_uri()


async def _read(settings: Settings, target: str) -> tuple[bytes, dict[str, str], str]:
    from bot.feeds.settings import FetchSettings
    from bot.feeds.source import open_feed_source

    if target == STDIN:
        return await asyncio.to_thread(sys.stdin.buffer.read), {}, ""
    if not target.startswith(("http://", "https://")):
        return await asyncio.to_thread(_read_file, target)
    feeds = open_feed_source(settings.part(FetchSettings), SystemClock())
    try:
        resp = await feeds.fetcher.get(target, trusted=True)  # the operator's own request
        return resp.body or b"", dict(resp.headers), resp.url
    finally:
        await feeds.aclose()


async def _stories(
    body: bytes, headers: dict[str, str], url: str, *, title: str, limit: int, now: datetime
) -> _Found | str:
    """What the body holds, or the reason it holds nothing to brief."""
    from bot.feeds.article import extract_page
    from bot.feeds.parse import parse_bytes
    from summarizer.markup import looks_like_html

    try:
        parsed = await asyncio.to_thread(parse_bytes, "cli", body, headers, url, now)
        if parsed.stories:
            return _Found(list(parsed.stories[:limit]), parsed.title or "")
    except FeedError:
        pass
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if not text and body:
        return "is neither a feed, an article page nor UTF-8 text"
    if looks_like_html(text[:200_000]):
        try:
            page = await asyncio.to_thread(extract_page, body, url)
        except FeedError:
            return "is neither a feed nor an article page (no article text found)"
        published = page.published or now
        story = Story("cli", url, "", url, title or page.title or url, published, page.text)
        return _Found([story], page.site)
    plain = plain_text_story(text, title=title, url=url, now=now)
    return _Found([plain], "") if plain is not None else "holds no text to brief"


async def brief(
    settings: Settings, target: str, *, title: str = "", as_json: bool, limit: int
) -> int:
    """Print the brief(s) of ``target``; returns the exit code."""
    from bot.briefing import ModelSummarizer

    now = SystemClock().now()
    name = "standard input" if target == STDIN else target
    try:
        body, headers, url = await _read(settings, target)
    except (FeedError, OSError) as exc:
        print(f"newsbrief: cannot read {name}: {exc}", file=sys.stderr)
        return 1
    found = await _stories(body, headers, url, title=title.strip(), limit=limit, now=now)
    if isinstance(found, str):
        print(f"newsbrief: {name} {found}", file=sys.stderr)
        return 1
    summarizer = ModelSummarizer(
        settings.summarizer, model=settings.summarizer_model, max_words=settings.summary_words
    )
    made = await summarizer.summarize(found.stories)
    items = [
        {
            "title": m.title,
            "link": s.link,
            "published": s.published.isoformat(),
            "summary": m.summary,
            "source": found.source,
        }
        for s, m in zip(found.stories, made, strict=True)
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        for item in items:
            lines = [item["title"], item["summary"], f"{item['source']} {item['link']}".strip()]
            print("\n".join(line for line in lines if line) + "\n")
    return 0
