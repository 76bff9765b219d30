"""The ``newsbrief`` command line.

::

    newsbrief run                               start the bot (console chat without tokens)
    newsbrief brief <URL or file> [--json]      brief one article, or every entry of a feed
    newsbrief feeds list                        show the feed catalogue
    newsbrief db upgrade                        apply database migrations
    newsbrief eval summarizer --data F ...      ROUGE of a summarisation method

Exit codes: 0 success, 1 the work failed (e.g. a URL could not be fetched), 2 bad settings or
usage (the message names every bad setting and the fix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings, load_catalogue, load_settings
from bot.core.errors import ConfigError, FeedError
from bot.core.models import Story

logger = logging.getLogger("newsbrief")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbrief",
        description="Self-hosted news-briefing bot for Telegram and Discord.",
        epilog="Settings come from NEWSBRIEF_* environment variables or .env; see README.md.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "run",
        help="start the bot",
        description="Start the bot. Without "
        "NEWSBRIEF_TELEGRAM_TOKEN or NEWSBRIEF_DISCORD_TOKEN a console chat reads "
        "commands from standard input. Stops cleanly on SIGINT or SIGTERM.",
    )
    brief = sub.add_parser(
        "brief",
        help="brief an article or a feed",
        description="Print the brief of an article, or the briefs of a feed's entries.",
    )
    brief.add_argument("target", help="article URL, feed URL, or a local HTML/feed file")
    brief.add_argument("--json", action="store_true", help="print a JSON list of objects")
    brief.add_argument("--limit", type=int, default=10, help="at most this many feed entries")
    feeds = sub.add_parser("feeds", help="the feed catalogue", description="The feed catalogue.")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    feeds_sub.add_parser("list", help="list the feeds of feeds.yaml", description="List feeds.")
    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations", description="Apply migrations.")
    ev = sub.add_parser("eval", help="evaluate a component", description="Evaluate a component.")
    ev_sub = ev.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    ev_sub.add_parser(
        "summarizer",
        help="ROUGE of a summarisation method",
        description="ROUGE of a summarisation method; `newsbrief eval summarizer --help`.",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsbrief`` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:2] == ["eval", "summarizer"]:
        from summarizer.eval import main as eval_main

        return int(eval_main(args_list[2:]))
    args = _parser().parse_args(args_list)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"newsbrief: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO, and a Bot API URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command == "run":
            from bot.app import run

            asyncio.run(run(settings))
        elif args.command == "brief":
            return asyncio.run(_brief(settings, args.target, as_json=args.json, limit=args.limit))
        elif args.command == "feeds":
            _feeds_list(settings)
        elif args.command == "db":
            asyncio.run(_db_upgrade(settings))
    except ConfigError as exc:
        print(f"newsbrief: {exc}", file=sys.stderr)
        return 2
    return 0


def _feeds_list(settings: Settings) -> None:
    for feed in load_catalogue(settings.feeds_file):
        print(f"{feed.id:24} {','.join(feed.topics):28} {feed.language:3} {feed.url}")


async def _db_upgrade(settings: Settings) -> None:
    from bot.storage import make_engine, upgrade

    engine = make_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    print(f"database is up to date ({settings.database_url.split('://')[0]})")


def _read_file(target: str) -> tuple[bytes, str]:
    path = Path(target).resolve()
    return path.read_bytes(), path.as_uri()


async def _brief(settings: Settings, target: str, *, as_json: bool, limit: int) -> int:
    from bot.app import SystemClock
    from bot.briefing import ModelSummarizer
    from bot.feeds.article import extract_text
    from bot.feeds.parse import parse_bytes
    from bot.feeds.source import open_feed_source

    now = datetime.now(UTC)
    feeds = open_feed_source(settings, SystemClock())
    try:
        if target.startswith(("http://", "https://")):
            resp = await feeds.fetcher.get(target, trusted=True)  # the operator's own request
            body, headers, url = resp.body or b"", dict(resp.headers), resp.url
        else:
            body, url = await asyncio.to_thread(_read_file, target)
            headers = {}
    except (FeedError, OSError) as exc:
        print(f"newsbrief: cannot read {target}: {exc}", file=sys.stderr)
        return 1
    finally:
        await feeds.aclose()
    try:
        parsed = await asyncio.to_thread(parse_bytes, "cli", body, headers, url, now)
        stories = list(parsed.stories[:limit])
        source = parsed.title
    except FeedError:
        stories = []
    if not stories:
        try:
            title, text = await asyncio.to_thread(extract_text, body, url)
        except FeedError:
            print(f"newsbrief: {target} is neither a feed nor an article page", file=sys.stderr)
            return 1
        stories = [Story("cli", url, "", url, title or url, now, content_html=text)]
        source = ""
    summarizer = ModelSummarizer(
        settings.summarizer, model=settings.summarizer_model, max_words=settings.summary_words
    )
    made = await summarizer.summarize(stories)
    items = [
        {
            "title": m.title,
            "link": s.link,
            "published": s.published.isoformat(),
            "summary": m.summary,
            "source": source,
        }
        for s, m in zip(stories, made, strict=True)
    ]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        for item in items:
            print(f"{item['title']}\n{item['summary']}\n{item['source'] or ''} {item['link']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
