"""``newsbrief opml import FILE --chat PLATFORM:ID`` and ``newsbrief opml export``.

The operator's way to move a chat's subscriptions in or out, through the same paths as the
chat commands: an import checks every URL as ``/subscribe <url>`` does (SSRF guard,
discovery, the chat's feed limit) and prints progress and one summary; an export writes the
chat's subscriptions as OPML 2.0 to a file or standard output.

Exit codes: 0 done, 1 the file could not be read or is not an OPML list we can use.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import Settings
from bot.core.commands import Commands, FetchLimits
from bot.core.errors import UserInputError
from bot.core.imports import import_outlines
from bot.core.models import ChatRef, Platform
from bot.core.opml import parse_opml, render_opml
from bot.core.ports import SystemClock

STDOUT = "-"


def parse_chat(value: str) -> ChatRef:
    """``telegram:-100123``, ``discord:98765/4321`` (a thread) or ``console:console`` (an
    argparse ``type``: a bad value is a usage error)."""
    platform, sep, rest = value.partition(":")
    chat_id, _, thread = rest.partition("/")
    try:
        kind = Platform(platform.lower())
    except ValueError:
        kind = None
    if not sep or kind is None or not chat_id:
        names = ", ".join(p.value for p in Platform)
        raise argparse.ArgumentTypeError(
            f"{value!r} is not PLATFORM:ID (PLATFORM one of {names}; "
            "e.g. telegram:-1001234567890, or discord:CHANNEL/THREAD)"
        )
    return ChatRef(kind, chat_id, thread)


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


async def opml_import(settings: Settings, path: str, chat: ChatRef) -> int:
    try:
        data = sys.stdin.buffer.read() if path == "-" else await asyncio.to_thread(_read, path)
    except OSError as exc:
        print(f"newsbrief: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        outlines = parse_opml(data)
    except UserInputError as exc:
        print(f"newsbrief: {path}: {exc}", file=sys.stderr)
        return 1
    from bot.feeds.settings import FetchSettings
    from bot.feeds.source import open_feed_source
    from bot.startup import open_database

    clock = SystemClock()
    storage = await open_database(settings.database_url, settings.database_startup_timeout_seconds)
    source = open_feed_source(settings.part(FetchSettings), clock)
    try:
        commands = Commands(
            storage,
            source,
            clock,
            fetch_limits=FetchLimits(
                settings.chat_fetch_timeout_seconds, settings.chat_fetches_per_chat
            ),
            max_feeds=settings.max_feeds_per_chat,
        )

        async def progress(done: int, total: int) -> None:
            print(f"{done} of {total} checked", file=sys.stderr)

        report = await import_outlines(
            commands,
            chat,
            outlines,
            limit=settings.max_feeds_per_chat,
            progress=progress,
            concurrency=settings.chat_fetches_per_chat,
        )
    finally:
        await source.aclose()
        await storage.close()
    print(report.summary())
    return 0


async def opml_export(settings: Settings, chat: ChatRef, output: str) -> int:
    from bot.startup import open_database

    storage = await open_database(settings.database_url, settings.database_startup_timeout_seconds)
    try:
        feeds = await storage.subscriptions(chat)
    finally:
        await storage.close()
    data = render_opml(f"newsbrief: {chat}", feeds, SystemClock().now())
    if output == STDOUT:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            await asyncio.to_thread(Path(output).write_bytes, data)
        except OSError as exc:
            print(f"newsbrief: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"{len(feeds)} feeds of {chat} written to {output}", file=sys.stderr)
    return 0
