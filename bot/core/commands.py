"""The chat commands' handlers, platform-free: every adapter turns its input into these calls.

``bot.core.command_table.COMMANDS`` declares each command once; ``bot.core.command_parse``
turns a typed line or typed options into a ``Call``; :meth:`Commands.run` runs it. Each
handler takes the chat it was issued in and one typed value per parameter, and returns a
neutral :class:`Reply`. Problems the user can fix come back as ``Reply(kind=ERROR)`` whose text
says what to type instead; they never show a stack trace or an internal id.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import cast

from bot.core import alerts as alert_syntax
from bot.core import schedule
from bot.core.command_parse import Call, is_url, number, parse
from bot.core.command_table import COMMANDS, LATEST_DEFAULT, LATEST_MAX
from bot.core.errors import FeedError, UserInputError
from bot.core.i18n import DEFAULT, LANGUAGES, _, language_of, ngettext, using
from bot.core.importance import MAX_IMPORTANCE
from bot.core.imports import Ticker, import_outlines
from bot.core.models import ChatRef, ChatSettings, Document, Feed, FeedState, Reply, ReplyKind
from bot.core.opml import check_size, parse_opml, render_opml
from bot.core.ports import Clock, FeedSource, ShowProgress, Storage, Upload
from bot.core.reasons import readable_reason, url_key
from bot.core.search import Embedder, search_latest

__all__ = ["COMMANDS", "LATEST_MAX", "Answer", "Commands", "FetchLimits"]

logger = logging.getLogger(__name__)

MAX_URL_CHARS = 2000
"""Longer addresses are refused (the database keeps URLs of up to 2048 characters)."""
MAX_ALERTS_PER_CHAT = 20
MAX_FEEDS_PER_CHAT = 100
REMOVED_FROM_CATALOGUE = "removed from feeds.yaml"

Admin = Callable[[], Awaitable[bool]]
"""Asks the platform whether the caller administers the chat (called only when needed)."""


@dataclass(frozen=True)
class FetchLimits:
    """Bounds on the fetches chat commands make (``/subscribe <URL>`` and feed discovery).

    A URL typed in chat may lead to a server that answers one byte a second: the command
    gives up after ``deadline_seconds`` with a clear answer, and one chat runs at most
    ``per_chat`` such fetches at once (a further one is refused at once, not queued).
    """

    deadline_seconds: float = 15.0
    per_chat: int = 2


@dataclass(frozen=True)
class Answer:
    """What :meth:`Commands.run` returns: the reply, and the chat's pending notice for its
    administrators when the caller is one (shown once, before the reply)."""

    reply: Reply
    notice: str | None = None


def _feed_line(feed: Feed) -> str:
    topics = f" [{', '.join(feed.topics)}]" if feed.topics else ""
    return f"{feed.id}: {feed.title}{topics}"


class Commands:
    """The command handlers, written against the ports only."""

    def __init__(
        self,
        storage: Storage,
        feeds: FeedSource,
        clock: Clock,
        *,
        fetch_limits: FetchLimits | None = None,
        max_feeds: int = MAX_FEEDS_PER_CHAT,
        embedder: Embedder | None = None,
    ) -> None:
        self._storage = storage
        self._embedder = embedder
        """MiniLM for ``/latest <words>`` by meaning (None: words only)."""
        self._max_feeds = max_feeds
        self._feeds = feeds
        self._clock = clock
        self._limits = fetch_limits or FetchLimits()
        self._fetching: dict[ChatRef, int] = {}
        self._importing: set[ChatRef] = set()

    # -- running ---------------------------------------------------------------------------
    async def run(
        self,
        chat: ChatRef,
        call: Call,
        *,
        admin: Admin | None = None,
        progress: ShowProgress | None = None,
    ) -> Answer:
        """Run ``call`` in ``chat``: note that the chat talked to the bot, run the handler, and
        with ``admin`` take the chat's pending notice when the caller administers it.
        ``progress`` shows the progress of a command that reports it (``Command.progress``).

        The permission rule (``call.needs_admin``) is checked by the adapter before, since
        platforms refuse in their own words. The notice costs no read of its own: it comes
        with the chat settings ``touch`` reads, and ``admin`` is asked only when one waits.
        """
        settings = await self._touch(chat)
        handler = getattr(self, call.command.method)
        extra = {"progress": progress} if call.command.progress else {}
        reply = cast(Reply, await handler(chat, *call.args, **extra))
        notice = None
        if settings.notice is not None and admin is not None and await admin():
            notice = await self.take_notice(chat)
        return Answer(reply, notice)

    async def dispatch(self, chat: ChatRef, text: str, *, bot_name: str = "") -> Reply | None:
        """Parse and run a typed line such as ``/latest@newsbot world 3`` for a caller who may
        run anything (tests, tools). ``None`` for text that is no command for this bot."""
        call = parse(text, bot_name=bot_name)
        if not isinstance(call, Call):
            return call
        return (await self.run(chat, call)).reply

    # -- commands --------------------------------------------------------------------------
    async def help(self, chat: ChatRef) -> Reply:
        """What the bot does and every command."""
        lines = [
            _("newsbrief sends short, faithful briefs of new stories from news feeds."),
            "",
            *(c.help_line() for c in COMMANDS),
            "",
            _("Start with /feeds, then /subscribe <feed id or topic>."),
        ]
        return Reply("\n".join(lines), ReplyKind.INFO)

    async def feeds(self, chat: ChatRef, topic: str | None = None) -> Reply:
        """The feeds this chat may follow (operator feeds and its own), optionally one topic."""
        feeds = await self._storage.list_feeds(chat)
        topic = (topic or "").strip().lower()
        if topic:
            chosen = [f for f in feeds if topic in f.topics]
            if not chosen:
                return Reply(
                    _(
                        'No feeds with the topic "{topic}". Topics: {topics}.',
                        topic=topic,
                        topics=", ".join(_topics(feeds)),
                    ),
                    ReplyKind.ERROR,
                )
            feeds = chosen
        if not feeds:
            return Reply(_("No feeds yet. Add one with /subscribe <feed URL>."), ReplyKind.INFO)
        body = "\n".join(_feed_line(f) for f in sorted(feeds, key=lambda f: f.id))
        heading = ngettext("{n} feed:", "{n} feeds:", len(feeds))
        follow = _("/subscribe <feed id | topic> to follow.")
        return Reply(f"{heading}\n{body}\n\n{follow}", ReplyKind.INFO)

    async def subscribe(self, chat: ChatRef, target: str) -> Reply:
        """Subscribe to a feed id, every feed of a topic, or a feed (or page) URL."""
        current = {f.id for f in await self._storage.subscriptions(chat)}
        if len(current) >= self._max_feeds and target.lower() not in current:
            return Reply(self._full(len(current)), ReplyKind.ERROR)
        try:
            feeds = await self._resolve(chat, target, create=True)
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        new = [f for f in feeds if f.id not in current]
        if len(current) + len(new) > self._max_feeds:
            news = ngettext(
                "{target} has {n} feed this chat does not follow yet.",
                "{target} has {n} feeds this chat does not follow yet.",
                len(new),
                target=target,
            )
            return Reply(f"{news} {self._full(len(current))}", ReplyKind.ERROR)
        now = self._clock.now()
        added = await self._storage.subscribe(chat, [f.id for f in feeds], now)
        resumed = [f for f in feeds if await self._resume(f.id)]
        health = [line for f in feeds if (line := await self._first_fetch(f))]
        tail = "".join(f" {line}" for line in health)
        if resumed:
            names = ", ".join(f"{f.title} ({f.id})" for f in resumed)
            return Reply(
                _("Resumed {names}: it is polled again and new stories arrive here.", names=names)
                + tail,
                choices=("/latest",),
            )
        names = ", ".join(f"{f.title} ({f.id})" for f in feeds if f.id in added)
        if not added:
            already = ", ".join(f.id for f in feeds)
            return Reply(
                _(
                    "This chat already follows {feeds}. /subscriptions lists them; "
                    "/latest shows the newest stories.",
                    feeds=already,
                )
                + tail,
                ReplyKind.INFO,
            )
        return Reply(
            _(
                "Subscribed to {names}. New stories arrive here; /latest shows the last ones.",
                names=names,
            )
            + tail,
            choices=("/latest",),
        )

    async def follow_url(
        self, chat: ChatRef, url: str, *, title: str = "", topics: tuple[str, ...] = ()
    ) -> tuple[Feed, bool]:
        """``/subscribe <url>`` for an import (see ``bot.core.imports.Follower``)."""
        if not is_url(url):
            raise UserInputError(_("not an http(s) address"))
        [feed] = await self._resolve(chat, url, create=True, title=title, topics=topics)
        added = await self._storage.subscribe(chat, [feed.id], self._clock.now())
        await self._resume(feed.id)
        return feed, bool(added)

    async def feed_slots(self, chat: ChatRef) -> int:
        """How many more feeds ``chat`` may follow (``NEWSBRIEF_MAX_FEEDS_PER_CHAT``)."""
        return max(0, self._max_feeds - len(await self._storage.subscriptions(chat)))

    async def import_feeds(
        self, chat: ChatRef, file: Upload, *, progress: ShowProgress | None = None
    ) -> Reply:
        """Follow every feed of an OPML file, each URL checked as ``/subscribe <url>`` does;
        one import at a time per chat (a second would take the first's fetch slots)."""
        if chat in self._importing:
            return Reply(
                _("This chat is already importing a list. Wait for its summary, then try again."),
                ReplyKind.ERROR,
            )
        self._importing.add(chat)
        try:
            return await self._import(chat, file, progress)
        finally:
            self._importing.discard(chat)

    async def _import(self, chat: ChatRef, file: Upload, progress: ShowProgress | None) -> Reply:
        try:
            if file.size is not None:
                check_size(file.size)  # before the download
            data = await file.read()
            # A 2 MB list takes ~100 ms to parse: off the event loop (the thread keeps the
            # chat's language, a context variable, for the error messages).
            outlines = await asyncio.to_thread(parse_opml, data)
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        ticker = None
        if progress is not None and outlines:
            ticker = Ticker(progress, self._clock)
            await ticker.start(len(outlines))
        report = await import_outlines(
            self,
            chat,
            outlines,
            limit=self._max_feeds,
            progress=ticker,
            concurrency=self._limits.per_chat,
        )
        return Reply(report.summary(), ReplyKind.OK if report.added else ReplyKind.INFO)

    async def export_feeds(self, chat: ChatRef) -> Reply:
        """This chat's subscriptions as an OPML 2.0 file."""
        feeds = await self._storage.subscriptions(chat)
        if not feeds:
            return Reply(
                _("This chat follows no feeds, so there is nothing to export. /feeds lists them."),
                ReplyKind.INFO,
            )
        data = render_opml(f"newsbrief: {chat}", feeds, self._clock.now())
        return Reply(
            ngettext(
                "This chat's {n} feed as OPML: open the file in a feed reader, "
                "or /import it in another chat.",
                "This chat's {n} feeds as OPML: open the file in a feed reader, "
                "or /import it in another chat.",
                len(feeds),
            ),
            ReplyKind.INFO,
            document=Document(export_name(chat), data),
        )

    def _full(self, following: int) -> str:
        return ngettext(
            "This chat follows {n} feed; the limit is {limit}. "
            "/unsubscribe one to free a slot (/subscriptions lists them).",
            "This chat follows {n} feeds; the limit is {limit}. "
            "/unsubscribe one to free a slot (/subscriptions lists them).",
            following,
            limit=self._max_feeds,
        )

    async def _first_fetch(self, feed: Feed) -> str:
        """A sentence for a feed that has never been fetched successfully (else empty)."""
        state = await self._storage.get_feed_state(feed.id)
        if state.last_success_at is not None or state.primed:
            return ""
        if state.failures and state.last_error:
            return _(
                "{feed} is failing: {reason}. "
                "It is tried again with growing pauses; /status shows how it goes.",
                feed=feed.id,
                reason=readable_reason(state.last_error),
            )
        return _(
            "The first fetch of {feed} is pending: its stories appear within minutes.",
            feed=feed.id,
        )

    async def unsubscribe(self, chat: ChatRef, target: str) -> Reply:
        """Unsubscribe from a feed id, a topic, a URL (also a former URL), or ``all``."""
        if target.lower() == "all":
            removed = await self._storage.unsubscribe(chat, None)
            if not removed:
                return Reply(_("This chat has no subscriptions."), ReplyKind.INFO)
            return Reply(
                ngettext(
                    "Unsubscribed from {n} feed.", "Unsubscribed from {n} feeds.", len(removed)
                )
            )
        current = {f.id for f in await self._storage.subscriptions(chat)}
        try:
            feeds = await self._resolve(chat, target, create=False, among=current)
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        removed = await self._storage.unsubscribe(chat, [f.id for f in feeds])
        if not removed:
            return Reply(
                _(
                    'This chat does not follow "{target}". /subscriptions lists what it follows.',
                    target=target,
                ),
                ReplyKind.ERROR,
            )
        return Reply(_("Unsubscribed from {feeds}.", feeds=", ".join(sorted(removed))))

    async def subscriptions(self, chat: ChatRef) -> Reply:
        """This chat's feeds."""
        feeds = await self._storage.subscriptions(chat)
        if not feeds:
            return Reply(
                _("This chat follows no feeds yet. /feeds lists them; /subscribe <id> adds one."),
                ReplyKind.INFO,
            )
        body = "\n".join(_feed_line(f) for f in feeds)
        heading = ngettext(
            "This chat follows {n} feed:", "This chat follows {n} feeds:", len(feeds)
        )
        return Reply(f"{heading}\n{body}", ReplyKind.INFO)

    async def latest(
        self, chat: ChatRef, query: str | None = None, count: int | None = None
    ) -> Reply:
        """The newest briefs of a feed, a topic or this chat's feeds; or of any feed it may see
        that match words (``search_latest``). A feed id or topic wins over a word."""
        count = count or LATEST_DEFAULT
        if query:
            try:
                found = await self._resolve(chat, query, create=False)
            except UserInputError as exc:
                if is_url(query):
                    return Reply(str(exc), ReplyKind.ERROR)
                return await self._search(chat, query, count, str(exc))
            feed_ids = [f.id for f in found]
        else:
            own = await self._storage.subscriptions(chat)
            feed_ids = [f.id for f in own or await self._storage.list_feeds(chat)]
        briefs = await self._storage.latest(feed_ids, count) if feed_ids else []
        if not briefs:
            return Reply(await self._why_empty(feed_ids), ReplyKind.INFO)
        return Reply(
            _("The latest story:")
            if len(briefs) == 1
            else ngettext("The latest {n} story:", "The latest {n} stories:", len(briefs)),
            ReplyKind.INFO,
            briefs=tuple(briefs),
        )

    async def _search(self, chat: ChatRef, query: str, count: int, no_feed: str) -> Reply:
        """``/latest <words>``: the newest matching briefs, then related ones by meaning."""
        try:
            found = await search_latest(self._storage, self._embedder, chat, query, count)
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        matched = tuple(f.brief for f in found if not f.related)
        related = tuple(f.brief for f in found if f.related)
        if not found:
            return Reply(
                _('No stories match "{query}". {no_feed}', query=query, no_feed=no_feed),
                ReplyKind.INFO,
            )
        if not matched:
            text = ngettext(
                'No stories match "{query}"; {n} related by meaning:',
                'No stories match "{query}"; {n} related by meaning:',
                len(related),
                query=query,
            )
            return Reply(text, ReplyKind.INFO, related=related)
        head = (
            _('The latest story matching "{query}"', query=query)
            if len(matched) == 1
            else ngettext(
                'The latest {n} story matching "{query}"',
                'The latest {n} stories matching "{query}"',
                len(matched),
                query=query,
            )
        )
        tail = (
            ngettext(
                ", then {n} related by meaning:", ", then {n} related by meaning:", len(related)
            )
            if related
            else ":"
        )
        return Reply(head + tail, ReplyKind.INFO, briefs=matched, related=related)

    async def alert(self, chat: ChatRef, query: str) -> Reply:
        """Add a keyword alert."""
        try:
            alert_syntax.parse_query(query)
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        existing = await self._storage.alerts(chat)
        if len(existing) >= MAX_ALERTS_PER_CHAT:
            return Reply(
                ngettext(
                    "This chat has {n} alert, the most allowed. "
                    "Remove one with /unalert <id> (/alerts lists them).",
                    "This chat has {n} alerts, the most allowed. "
                    "Remove one with /unalert <id> (/alerts lists them).",
                    len(existing),
                ),
                ReplyKind.ERROR,
            )
        if any(a.query.lower() == query.lower() for a in existing):
            return Reply(
                _('This chat already has the alert "{query}".', query=query), ReplyKind.INFO
            )
        created = await self._storage.add_alert(chat, query, self._clock.now())
        return Reply(
            _(
                'Alert {id} set: stories matching "{query}" from any feed arrive here. '
                "/alerts lists your alerts.",
                id=created.id,
                query=query,
            )
        )

    async def alerts(self, chat: ChatRef) -> Reply:
        """This chat's alerts."""
        found = await self._storage.alerts(chat)
        if not found:
            return Reply(_("No alerts here. Add one with /alert <words>."), ReplyKind.INFO)
        body = "\n".join(f"{a.id}: {a.query}" for a in found)
        heading = ngettext("{n} alert:", "{n} alerts:", len(found))
        remove = _("/unalert <id> removes one.")
        return Reply(f"{heading}\n{body}\n\n{remove}", ReplyKind.INFO)

    async def unalert(self, chat: ChatRef, alert_id: int) -> Reply:
        """Remove an alert by its id."""
        if not await self._storage.remove_alert(chat, alert_id):
            return Reply(
                _("This chat has no alert {id}. /alerts shows the ids.", id=alert_id),
                ReplyKind.ERROR,
            )
        return Reply(_("Alert {id} removed.", id=alert_id))

    async def digest(
        self, chat: ChatRef, times: str | None = None, timezone: str | None = None
    ) -> Reply:
        """``off`` (push every story) or digest times with an optional time zone."""
        settings = await self._storage.get_chat(chat)
        if not times:
            if timezone:
                return Reply(
                    _("Give the times too, e.g. /digest 08:00 Europe/Kyiv."), ReplyKind.ERROR
                )
            if settings.digest_times:
                return Reply(
                    _(
                        "Digests at {times} ({zone}). /digest off pushes every story.",
                        times=", ".join(settings.digest_times),
                        zone=settings.timezone,
                    ),
                    ReplyKind.INFO,
                )
            return Reply(
                _(
                    "Every story is pushed as it arrives. /digest 08:00 Europe/Kyiv sends one "
                    "digest a day instead (several times: 08:00,18:00)."
                ),
                ReplyKind.INFO,
            )
        if times.lower() == "off":
            await self._storage.save_chat(replace(settings, digest_times=()))
            await self._storage.reschedule_pending(chat, self._clock.now())
            return Reply(_("Digests off: every story is pushed as it arrives."))
        try:
            parsed = schedule.parse_times(times)
            zone = schedule.check_timezone(timezone) if timezone else settings.timezone
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        now = self._clock.now()
        await self._storage.save_chat(
            replace(
                settings,
                digest_times=parsed,
                timezone=zone,
                last_digest_at=settings.last_digest_at or now,
            )
        )
        # Rows already waiting for the old digest times are re-planned at once.
        await self._storage.reschedule_pending(chat, now)
        following = schedule.until(schedule.next_digest_time(now, parsed, zone), now)
        return Reply(
            _(
                "Digests at {times} ({zone}); the next one {when}. "
                "Keyword alerts still arrive at once. /digest off to undo.",
                times=", ".join(parsed),
                zone=zone,
                when=following,
            )
        )

    async def quiet(
        self, chat: ChatRef, hours: str | None = None, timezone: str | None = None
    ) -> Reply:
        """``off`` or quiet hours ``HH:MM-HH:MM`` with an optional time zone."""
        settings = await self._storage.get_chat(chat)
        if not hours:
            if timezone:
                return Reply(
                    _("Give the hours too, e.g. /quiet 22:00-07:00 Europe/Kyiv."), ReplyKind.ERROR
                )
            if settings.quiet_start and settings.quiet_end:
                return Reply(
                    _(
                        "Quiet hours {start}-{end} ({zone}): nothing is sent then; it arrives "
                        "when they end. /quiet off to remove them.",
                        start=settings.quiet_start,
                        end=settings.quiet_end,
                        zone=settings.timezone,
                    ),
                    ReplyKind.INFO,
                )
            return Reply(
                _(
                    "No quiet hours. /quiet 22:00-07:00 Europe/Kyiv holds messages overnight and "
                    "sends them when the quiet hours end."
                ),
                ReplyKind.INFO,
            )
        now = self._clock.now()
        if hours.lower() == "off":
            await self._storage.save_chat(replace(settings, quiet_start=None, quiet_end=None))
            await self._storage.reschedule_pending(chat, now)
            return Reply(_("Quiet hours off: messages arrive at any time."))
        try:
            start, end = schedule.parse_quiet(hours)
            zone = schedule.check_timezone(timezone) if timezone else settings.timezone
        except UserInputError as exc:
            return Reply(str(exc), ReplyKind.ERROR)
        await self._storage.save_chat(
            replace(settings, quiet_start=start, quiet_end=end, timezone=zone)
        )
        await self._storage.reschedule_pending(chat, now)
        return Reply(
            _(
                "Quiet hours {start}-{end} ({zone}): messages that come then wait until {end}. "
                "/quiet off to undo.",
                start=start,
                end=end,
                zone=zone,
            )
        )

    async def importance(self, chat: ChatRef, sources: str | None = None) -> Reply:
        """``off`` (push at the first source) or ``n``: push once ``n`` sources carry a story."""
        settings = await self._storage.get_chat(chat)
        if not sources:
            if settings.importance > 1:
                return Reply(
                    ngettext(
                        "Stories are pushed here once {n} different source carries them; the "
                        "others stay in /latest and digests. /importance off pushes every story.",
                        "Stories are pushed here once {n} different sources carry them; the "
                        "others stay in /latest and digests. /importance off pushes every story.",
                        settings.importance,
                    ),
                    ReplyKind.INFO,
                )
            return Reply(
                _(
                    "Every story is pushed at its first source. /importance 2 pushes only "
                    "stories at least two different sources carry."
                ),
                ReplyKind.INFO,
            )
        n = 1 if sources.lower() == "off" else number(sources)
        if n is None or not 1 <= n <= MAX_IMPORTANCE:
            return Reply(
                _(
                    "Give a number of sources from 1 to {max}, or off: /importance 2.",
                    max=MAX_IMPORTANCE,
                ),
                ReplyKind.ERROR,
            )
        await self._storage.save_chat(replace(settings, importance=n))
        if n == 1:
            return Reply(_("Importance off: every story is pushed at its first source."))
        return Reply(
            ngettext(
                "Stories are now pushed once {n} different source carries them, as the last of "
                "them joins (within the dedup window); the others stay in /latest and digests. "
                "Keyword alerts still arrive at once. /importance off to undo.",
                "Stories are now pushed once {n} different sources carry them, as the last of "
                "them joins (within the dedup window); the others stay in /latest and digests. "
                "Keyword alerts still arrive at once. /importance off to undo.",
                n,
            )
        )

    async def language(self, chat: ChatRef, code: str | None = None) -> Reply:
        """Show the chat's language and the choices, or set it."""
        choices = ", ".join(f"{c} ({name})" for c, name in LANGUAGES.items())
        settings = await self._storage.get_chat(chat)
        if not code:
            # ``speaks`` keeps a caller's language for the chat: an unset one is English.
            return Reply(
                _(
                    "The bot speaks {language} here. /language <code> changes it; "
                    "the choices: {choices}.",
                    language=LANGUAGES.get(settings.language or DEFAULT, LANGUAGES[DEFAULT]),
                    choices=choices,
                ),
                ReplyKind.INFO,
            )
        chosen = language_of(code)
        if chosen is None:
            return Reply(
                _('No language "{code}". The choices: {choices}.', code=code, choices=choices),
                ReplyKind.ERROR,
            )
        await self._storage.save_chat(replace(settings, language=chosen))
        with using(chosen):
            return Reply(
                _(
                    "The bot speaks {language} here now: replies, briefs, digests and notices.",
                    language=LANGUAGES[chosen],
                )
            )

    async def speaks(self, chat: ChatRef, locale: str | None = None) -> str:
        """The language to answer ``chat`` in: the one it chose (``/language``), else that of
        the caller's platform (``locale``) when it is one of ours, kept for the chat from then
        on (so its briefs and notices come in it too), else English."""
        settings = await self._storage.get_chat(chat)
        if settings.language in LANGUAGES:
            return settings.language
        found = language_of(locale)
        if found is None or found == DEFAULT:
            return DEFAULT
        await self._storage.save_chat(replace(settings, language=found))
        return found

    async def status(self, chat: ChatRef) -> Reply:
        """Health of this chat's feeds: last success, next check, paused and why."""
        feeds = await self._storage.subscriptions(chat)
        if not feeds:
            return Reply(_("This chat follows no feeds. /feeds lists them."), ReplyKind.INFO)
        now = self._clock.now()
        lines = []
        for feed in feeds:
            state = await self._storage.get_feed_state(feed.id)
            if state.paused_reason:
                lines.append(_("{feed}: paused ({reason})", feed=feed.id, reason=_paused(state)))
                continue
            ok = schedule.ago(state.last_success_at, now) if state.last_success_at else _("never")
            nxt = schedule.until(state.next_poll_at, now) if state.next_poll_at else _("soon")
            line = _("{feed}: last success {ok}, next check {next}", feed=feed.id, ok=ok, next=nxt)
            if state.failures:
                line += ngettext(
                    ", {n} failure: {reason}",
                    ", {n} failures: {reason}",
                    state.failures,
                    reason=readable_reason(state.last_error),
                )
            lines.append(line)
        alerts = await self._storage.alerts(chat)
        lines.append(
            _(
                "This chat uses {feeds} of {max_feeds} feeds and {alerts} of {max_alerts} alerts.",
                feeds=len(feeds),
                max_feeds=self._max_feeds,
                alerts=len(alerts),
                max_alerts=MAX_ALERTS_PER_CHAT,
            )
        )
        return Reply("\n".join(lines), ReplyKind.INFO)

    # -- helpers ---------------------------------------------------------------------------
    async def _resolve(
        self,
        chat: ChatRef,
        target: str,
        *,
        create: bool,
        among: set[str] | None = None,
        title: str = "",
        topics: tuple[str, ...] = (),
    ) -> list[Feed]:
        """Turn a feed id, topic or URL into feeds ``chat`` may see, or raise ``UserInputError``.

        Ids and topics reach only the operator's feeds and the chat's own; a URL reaches any
        feed (knowing a chat-added feed's address is what entitles a chat to it). With
        ``create``, a URL makes the chat an owner of the feed it leads to, stored or new; a new
        feed without a title of its own takes ``title``, and one without topics ``topics``.
        """
        if is_url(target):
            if len(target) > MAX_URL_CHARS:
                raise UserInputError(
                    _("That address is over {n} characters long.", n=MAX_URL_CHARS)
                )
            known = await self._storage.find_feed_by_url(target)
            if known is None:
                # Another spelling of a stored address: HTTP://Host/feed/ for http://host/feed.
                key = url_key(target)
                known = next(
                    (f for f in await self._storage.list_feeds() if url_key(f.url) == key), None
                )
            if known is not None and create:
                known = await self._storage.add_feed(known, owner=chat, now=self._clock.now())
            if known is not None:
                return [known]
            if not create:
                raise UserInputError(
                    _(
                        "No feed with the URL {url}. /subscriptions lists this chat's feeds.",
                        url=target,
                    )
                )
            found = await self._fetch(chat, target)
            found = replace(found, title=found.title or title, topics=found.topics or topics)
            alias = target if target != found.url else ""
            return [
                await self._storage.add_feed(found, alias=alias, owner=chat, now=self._clock.now())
            ]
        feeds = await self._storage.list_feeds(chat)
        key = target.lower()
        by_id = {f.id: f for f in feeds}
        if key in by_id:
            return [by_id[key]]
        in_topic = [f for f in feeds if key in f.topics and (among is None or f.id in among)]
        if in_topic:
            return in_topic
        names = list(by_id) + _topics(feeds)
        close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
        if close:
            raise UserInputError(
                _(
                    'No feed or topic called "{target}". Did you mean {close}? '
                    "/feeds lists them all.",
                    target=target,
                    close=close[0],
                )
            )
        raise UserInputError(
            _('No feed or topic called "{target}". /feeds lists them all.', target=target)
        )

    async def touch(self, chat: ChatRef) -> None:
        """Note that ``chat`` talked to the bot: a chat marked unavailable (it had blocked or
        removed the bot) can receive again. ``run`` does it for every command; adapters call it
        when the platform says the bot is back in a chat."""
        await self._touch(chat)

    async def _touch(self, chat: ChatRef) -> ChatSettings:
        settings = await self._storage.get_chat(chat)
        if not settings.available or settings.failures:
            await self._storage.save_chat(replace(settings, available=True, failures=0))
        return settings

    async def _fetch(self, chat: ChatRef, url: str) -> Feed:
        """``FeedSource.resolve`` within the chat's fetch limits (see ``FetchLimits``)."""
        limits = self._limits
        running = self._fetching.get(chat, 0)
        if running >= limits.per_chat:
            raise UserInputError(
                ngettext(
                    "This chat already has {n} feed check under way. "
                    "Wait for the answer, then try again.",
                    "This chat already has {n} feed checks under way. "
                    "Wait for the answer, then try again.",
                    running,
                )
            )
        self._fetching[chat] = running + 1
        try:
            async with asyncio.timeout(limits.deadline_seconds) as deadline:
                return await self._feeds.resolve(url)
        except FeedError as exc:
            raise UserInputError(_("Cannot use {url}: {reason}", url=url, reason=exc)) from exc
        except TimeoutError as exc:
            if not deadline.expired():
                raise
            raise UserInputError(
                _(
                    "Timed out: {url} did not answer within {seconds} s. "
                    "Check the address, or try again later.",
                    url=url,
                    seconds=f"{limits.deadline_seconds:g}",
                )
            ) from exc
        finally:
            left = self._fetching[chat] - 1
            if left:
                self._fetching[chat] = left
            else:
                del self._fetching[chat]

    async def catalogue(self, chat: ChatRef) -> list[Feed]:
        """The feeds ``chat`` may see (for adapters' autocomplete and menus)."""
        return await self._storage.list_feeds(chat)

    async def leave_notice(self, chat: ChatRef, text: str) -> None:
        """Keep ``text`` for the chat's admins, replacing an older notice (see ``take_notice``).

        Adapters call it when the platform refuses a delivery, so that the next admin who
        talks to the bot learns why and how to fix it.
        """
        settings = await self._storage.get_chat(chat)
        if settings.notice != text:
            await self._storage.save_chat(replace(settings, notice=text))

    async def _resume(self, feed_id: str) -> bool:
        """Subscribing to a paused feed resumes it (its failure count starts again).

        Returns True when the feed was paused and now is not."""
        state = await self._storage.get_feed_state(feed_id)
        if state.paused_reason and state.paused_reason != REMOVED_FROM_CATALOGUE:
            await self._storage.save_feed_state(
                replace(state, paused_reason=None, failures=0, next_poll_at=None)
            )
            return True
        return False

    async def _why_empty(self, feed_ids: Sequence[str]) -> str:
        """What is true when ``/latest`` finds no stories: per feed, pending, failing or paused."""
        if not feed_ids:
            return _("There are no feeds yet. Add one with /subscribe <feed URL>.")
        now = self._clock.now()
        lines = []
        for feed_id in feed_ids:
            state = await self._storage.get_feed_state(feed_id)
            if state.paused_reason == REMOVED_FROM_CATALOGUE:
                lines.append(_("{feed}: removed from feeds.yaml, no longer polled.", feed=feed_id))
            elif state.paused_reason:
                lines.append(
                    _(
                        "{feed}: paused ({reason}). /subscribe {feed} resumes it.",
                        feed=feed_id,
                        reason=_paused(state),
                    )
                )
            elif state.failures:
                reason = readable_reason(state.last_error)
                if state.last_success_at:
                    line = ngettext(
                        "{feed}: failing since its last success {ago} ({n} failed poll): {reason}.",
                        "{feed}: failing since its last success {ago} ({n} failed polls): "
                        "{reason}.",
                        state.failures,
                        feed=feed_id,
                        ago=schedule.ago(state.last_success_at, now),
                        reason=reason,
                    )
                else:
                    line = ngettext(
                        "{feed}: failing since it was added ({n} failed poll): {reason}.",
                        "{feed}: failing since it was added ({n} failed polls): {reason}.",
                        state.failures,
                        feed=feed_id,
                        reason=reason,
                    )
                lines.append(line)
            elif state.last_success_at is None and not state.primed:
                lines.append(_("{feed}: first fetch pending.", feed=feed_id))
            else:
                lines.append(_("{feed}: fetched, no stories in it yet.", feed=feed_id))
        return _("No stories yet.") + "\n" + "\n".join(lines)

    async def take_notice(self, chat: ChatRef) -> str | None:
        """Return and clear the chat's pending notice for its admins (shown once)."""
        settings = await self._storage.get_chat(chat)
        if settings.notice is None:
            return None
        await self._storage.save_chat(replace(settings, notice=None))
        return settings.notice


def export_name(chat: ChatRef) -> str:
    """``newsbrief-telegram-100123.opml``: the chat in a file name any system accepts."""
    parts = (chat.platform.value, chat.chat_id, chat.thread_id)
    return "newsbrief-" + re.sub(r"[^A-Za-z0-9]+", "-", " ".join(parts)).strip("-") + ".opml"


_PAUSED = re.compile(r"(\d+) failed polls in a row(, last: .*)?", re.DOTALL)


def _paused(state: FeedState) -> str:
    """A paused feed's reason in the current language. The pipeline stores it in English,
    ``3 failed polls in a row, last: <plain words>``; it is said again from the state's count
    and error (a reason stored by an earlier version carries the raw error)."""
    reason = state.paused_reason or ""
    match = _PAUSED.fullmatch(reason)
    if match is None or (match.group(2) and not state.last_error):
        return reason
    failures = int(match.group(1))
    if match.group(2):
        return ngettext(
            "{n} failed poll in a row, last: {reason}",
            "{n} failed polls in a row, last: {reason}",
            failures,
            reason=readable_reason(state.last_error),
        )
    return ngettext("{n} failed poll in a row", "{n} failed polls in a row", failures)


def _topics(feeds: Sequence[Feed]) -> list[str]:
    return sorted({t for f in feeds for t in f.topics})
