"""Importing a list of feeds (an OPML file) into one chat.

Every URL takes the same path as ``/subscribe <url>``: the SSRF guard, discovery from a page
address, the chat's fetch limits and deadline. The chat's feed limit caps what is added; the
rest of the list is counted, not fetched. ``progress`` is awaited as the import goes (for a
reply that is edited: "12 of 40 checked"; ``Ticker`` turns the counts into those lines at a
pace platforms accept), and the ``ImportReport`` becomes one summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.core.errors import UserInputError
from bot.core.i18n import _, ngettext
from bot.core.models import ChatRef, Feed
from bot.core.ports import Clock, ShowProgress

IMPORT_CONCURRENCY = 2
"""URLs checked at once: the chat's own fetch limit (``FetchLimits.per_chat``) by default."""

PROGRESS_SECONDS = 2.0
"""At most one progress line this often (each is an edit of one message; the first and the
last are always shown)."""

SHOWN_REFUSALS = 5
"""Refused URLs listed by name in the summary; the others are counted."""


@dataclass(frozen=True)
class Outline:
    """One feed of an imported list: its URL, its title there, and its topics (categories)."""

    url: str
    title: str = ""
    topics: tuple[str, ...] = ()


class Follower(Protocol):
    """What an import needs of the commands: follow one URL as ``/subscribe <url>`` does."""

    async def follow_url(
        self, chat: ChatRef, url: str, *, title: str = "", topics: tuple[str, ...] = ()
    ) -> tuple[Feed, bool]:
        """Subscribe ``chat`` to the feed at ``url`` (creating it with ``title`` and ``topics``
        if new); True when the chat did not follow it yet. Raises ``UserInputError``."""
        ...

    async def feed_slots(self, chat: ChatRef) -> int:
        """How many more feeds ``chat`` may follow."""
        ...


Progress = Callable[[int, int], Awaitable[None]]


@dataclass
class ImportReport:
    """What an import did, for its summary reply."""

    total: int
    added: list[Feed] = field(default_factory=list)
    already: list[Feed] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    over_limit: int = 0
    limit: int = 0

    def summary(self) -> str:
        """The summary reply, in the current language."""
        if not self.total:
            return _("That list has no feeds in it (no <outline> with an xmlUrl).")
        counts = _(
            "Import done: {total} in the list, {added} added, {already} already followed, "
            "{refused} refused",
            total=self.total,
            added=len(self.added),
            already=len(self.already),
            refused=len(self.refused),
        )
        if self.over_limit:
            counts += _(", {n} over the limit", n=self.over_limit)
        lines = [counts + "."]
        for url, reason in self.refused[:SHOWN_REFUSALS]:
            lines.append(f"- {url}: {reason}")
        if len(self.refused) > SHOWN_REFUSALS:
            lines.append(_("- and {n} more refused.", n=len(self.refused) - SHOWN_REFUSALS))
        if self.over_limit:
            lines.append(
                ngettext(
                    "A chat follows at most {n} feed: /unsubscribe some, then import "
                    "the list again (feeds already followed are skipped).",
                    "A chat follows at most {n} feeds: /unsubscribe some, then import "
                    "the list again (feeds already followed are skipped).",
                    self.limit,
                )
            )
        if self.added:
            lines.append(_("/subscriptions lists what this chat follows."))
        return "\n".join(lines)


async def import_outlines(
    follower: Follower,
    chat: ChatRef,
    outlines: Sequence[Outline],
    *,
    limit: int,
    progress: Progress | None = None,
    concurrency: int = IMPORT_CONCURRENCY,
) -> ImportReport:
    """Follow every outline's feed in ``chat`` until its feed slots run out."""
    report = ImportReport(total=len(outlines), limit=limit)
    slots = await follower.feed_slots(chat)
    gate = asyncio.Semaphore(max(1, concurrency))
    lock = asyncio.Lock()
    done = 0

    async def one(outline: Outline) -> None:
        nonlocal done
        async with gate:
            await check(outline)
            async with lock:
                done += 1
                now_done = done
        if progress is not None:  # outside the lock: a slow edit holds up no other check
            await progress(now_done, report.total)

    async def check(outline: Outline) -> None:
        nonlocal slots
        async with lock:
            if slots <= 0:
                report.over_limit += 1
                return
            slots -= 1  # held while the URL is checked; given back unless added
        try:
            feed, added = await follower.follow_url(
                chat, outline.url, title=outline.title, topics=outline.topics
            )
        except UserInputError as exc:
            report.refused.append((outline.url, str(exc)))
            added = False
        else:
            (report.added if added else report.already).append(feed)
        if not added:
            async with lock:
                slots += 1

    await asyncio.gather(*(one(o) for o in outlines))
    return report


class Ticker:
    """The progress lines of an import: "Checking 40 feeds…" at once, then "12 of 40 checked"
    at most every ``interval`` seconds, and always the last. Lines are shown one at a time, in
    order: a count that arrives while an older line is still being shown waits or is skipped."""

    def __init__(
        self, show: ShowProgress, clock: Clock, interval: float = PROGRESS_SECONDS
    ) -> None:
        self._show = show
        self._clock = clock
        self._interval = interval
        self._lock = asyncio.Lock()
        self._shown = -1
        self._at = clock.now()

    async def start(self, total: int) -> None:
        async with self._lock:
            self._shown, self._at = 0, self._clock.now()
            await self._show(ngettext("Checking {n} feed…", "Checking {n} feeds…", total))

    async def __call__(self, done: int, total: int) -> None:
        last = done >= total
        if not last and self._lock.locked():
            return  # a line is being shown: this count is skipped, a later one comes
        async with self._lock:
            now = self._clock.now()
            if done <= self._shown:
                return
            if not last and (now - self._at).total_seconds() < self._interval:
                return
            self._shown, self._at = done, now
            await self._show(_("{done} of {total} checked", done=done, total=total))
