"""The ``newsbrief`` command line.

::

    newsbrief run                               start the bot (console chat without tokens)
    newsbrief brief <URL | file | -> [--json]   brief an article, a feed's entries, or text
    newsbrief feeds list                        show the feed catalogue
    newsbrief db upgrade                        apply database migrations
    newsbrief eval summarizer --data F ...      ROUGE of a summarisation method

Exit codes: 0 success, 1 the work failed (e.g. a URL could not be fetched), 2 bad settings or
usage (the message names every bad setting and the fix).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.cli_opml import parse_chat
from bot.config import (
    Settings,
    empty_catalogue_hint,
    load_catalogue,
    load_settings,
    mask_secrets,
)
from bot.core.errors import ConfigError
from bot.startup import StartupError, environ_warnings

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
        description="Print the brief of an article, the briefs of a feed's entries, or the "
        "brief of plain text (one paragraph a line, or blank-line paragraphs).",
    )
    brief.add_argument(
        "target", help="article or feed URL, a local HTML, feed or .txt file, or - (stdin)"
    )
    brief.add_argument("--title", default="", help="the headline of a plain text or page")
    brief.add_argument("--json", action="store_true", help="print a JSON list of objects")
    brief.add_argument("--limit", type=int, default=10, help="at most this many feed entries")
    feeds = sub.add_parser("feeds", help="the feed catalogue", description="The feed catalogue.")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    feeds_sub.add_parser("list", help="list the feeds of feeds.yaml", description="List feeds.")
    opml = sub.add_parser(
        "opml", help="import or export a chat's feeds", description="OPML import and export."
    )
    opml_sub = opml.add_subparsers(dest="opml_command", required=True, metavar="ACTION")
    imp = opml_sub.add_parser(
        "import", help="subscribe a chat to an OPML file's feeds", description="Import OPML."
    )
    imp.add_argument("file", help="the OPML file, or - for standard input")
    exp = opml_sub.add_parser(
        "export", help="a chat's subscriptions as OPML 2.0", description="Export OPML."
    )
    exp.add_argument("-o", "--output", default="-", help="where to write (default: stdout)")
    for action in (imp, exp):
        action.add_argument(
            "--chat",
            required=True,
            type=parse_chat,
            help="PLATFORM:ID, e.g. telegram:-1001234567890",
        )
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
        print(f"newsbrief: {mask_secrets(str(exc))}", file=sys.stderr)
        return 2
    from bot.logs import configure_logging, mask_in_logs

    configure_logging(settings)
    mask_in_logs(_secrets(settings))
    for warning in environ_warnings(Settings.model_fields):
        logger.warning("%s", warning)
    try:
        if args.command == "run":
            from bot.app import run
            from bot.storage.single_process import DatabaseInUse

            try:
                asyncio.run(run(settings))
            except DatabaseInUse as exc:
                print(f"newsbrief: {exc}", file=sys.stderr)
                return 2
        elif args.command == "brief":
            from bot.cli_brief import brief as run_brief

            return asyncio.run(
                run_brief(
                    settings, args.target, title=args.title, as_json=args.json, limit=args.limit
                )
            )
        elif args.command == "feeds":
            _feeds_list(settings)
        elif args.command == "opml":
            from bot import cli_opml

            if args.opml_command == "import":
                return asyncio.run(cli_opml.opml_import(settings, args.file, args.chat))
            return asyncio.run(cli_opml.opml_export(settings, args.chat, args.output))
        elif args.command == "db":
            asyncio.run(_db_upgrade(settings))
    except ConfigError as exc:
        print(f"newsbrief: {_masked(str(exc), settings)}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"newsbrief: {_masked(str(exc), settings)}", file=sys.stderr)
        return 1
    return 0


def _secrets(settings: Settings) -> list[str]:
    values = (settings.telegram_token, settings.discord_token, settings.telegram_webhook_secret)
    return [v.get_secret_value() for v in values if v is not None]


def _masked(text: str, settings: Settings) -> str:
    return mask_secrets(text, _secrets(settings))


def _feeds_list(settings: Settings) -> None:
    feeds = load_catalogue(settings.feeds_file)
    if not feeds:
        print(f"newsbrief: {empty_catalogue_hint(settings.feeds_file)}", file=sys.stderr)
    for feed in feeds:
        print(f"{feed.id:24} {','.join(feed.topics):28} {feed.language:3} {feed.url}")


async def _db_upgrade(settings: Settings) -> None:
    from bot.startup import open_database

    storage = await open_database(settings.database_url, settings.database_startup_timeout_seconds)
    await storage.close()
    print(f"database is up to date ({settings.database_url.split('://')[0]})")


if __name__ == "__main__":
    sys.exit(main())
