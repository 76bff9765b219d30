"""The polling pipeline: due feeds -> fetch -> new stories -> summarise -> store -> outbox.

``Pipeline.poll_due(now)`` is what the scheduler calls. For each due feed it fetches (a
conditional GET), keeps the entries this feed has not carried before, makes one brief per new
story (a story another feed already carried reuses that brief and gains a source), and stores
each brief together with its outbox rows in one transaction (``Storage.record_story``).

One brief per story: a story whose canonical link another feed already carried joins that
brief; otherwise, with a ``Deduper``, a story that is a near-duplicate of a recent brief from
another feed joins that brief too (``Storage.add_source``) and is not summarised or posted again
-- its subscribers who have not had the brief get it once, with "also <source>". The check runs
before summarising and again, under a lock, right before a new brief is stored, so two feeds
polled in the same round -- or by two workers on one database (``Storage.story_lock``) --
cannot both create a brief for one story. Alerts are matched over the
headline, summary and article text of every new story of every polled feed. The
first poll of a feed only primes it: its current entries are stored (``/latest`` shows them)
but not pushed, and only the newest ``PRIME_SUMMARISED`` get their article fetched and a model
summary; older ones keep the feed's own teaser (a new feed of 100 entries would otherwise cost
the publisher 100 article requests and the bot minutes of model time for stories nobody is
sent). Failures back off exponentially; a feed that keeps failing is paused and its
subscribers are told once why and how to resume. Most polls find nothing new (304): their new
poll times are saved ``STATE_BATCH`` to a transaction instead of one transaction each.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core import briefs, schedule
from bot.core.alerts import AlertIndex
from bot.core.dedup import StoryMatcher
from bot.core.errors import FeedError, HostThrottledError, StorageError
from bot.core.i18n import _, using
from bot.core.models import Brief, ChatRef, Feed, FeedState, Story
from bot.core.ports import Deduper, FeedSource, FetchResult, Storage, Summarised, Summarizer
from bot.core.reasons import readable_reason
from bot.core.search import Embedder, store_embeddings
from bot.core.text import plain_text

logger = logging.getLogger(__name__)

Notify = Callable[[ChatRef, str], Awaitable[None]]

STATE_BATCH = 250
"""Unchanged (304) feeds whose new poll times are saved in one transaction (which also ends
their leases). A crash before the save only means those feeds are polled again (a conditional
GET) once their leases run out: nothing is lost."""

CLAIM_BATCH = 1
"""Due feeds claimed at a time, in multiples of the concurrency: claiming little at a time
lets several workers (processes) on one database share the due feeds evenly, and a claimed
feed waits at most about one poll for a free slot."""
LEASE_BUDGETS = 3
"""A claimed feed's lease, in poll budgets (``feed_budget``): up to one waiting for a slot in
its batch, one fetching, one summarising and storing. A worker that dies holds its feeds this
long; then another worker polls them."""

SEEN_BATCH = 250
"""Entries past the most pushed per poll that are stored (unpushed) in one transaction."""

DUE_SLACK = timedelta(seconds=5)
"""A feed due this soon after a round's clock is polled in that round (at most a tenth of the
poll interval early). The scheduler ticks every 30 s and each round reads the clock a few ms
after its tick: without the slack a feed polled at one tick, due one interval later, missed
the tick one interval on by those milliseconds about half the time and waited a whole tick
more (bench/flood.py measured 90 s between the polls of a 60 s feed)."""

PRIME_SUMMARISED = 10
"""On a feed's first poll, how many of its newest entries are fully summarised."""
TEASER_CHARS = 600
"""The longest feed teaser kept as the summary of an older entry seen on the first poll."""


@dataclass
class _Round:
    """What the feeds of one ``poll_due`` share: the alert index, the story matcher, and the
    states of unchanged feeds waiting to be saved together."""

    alerts: AlertIndex
    matcher: StoryMatcher
    unchanged: list[FeedState] = field(default_factory=list)


@dataclass
class PollReport:
    """What one ``poll_due`` did (for logs, metrics and tests)."""

    polled: int = 0
    not_modified: int = 0
    failed: int = 0
    new_briefs: int = 0
    skipped_entries: int = 0
    """Entries that could not be stored (an unexpected error); they are tried again."""
    queued: bool = False
    errors: dict[str, str] = field(default_factory=dict)


class _Claims:
    """The due feeds of one round, claimed from the storage a batch at a time as the round's
    workers need them (``Storage.due_feeds`` with a lease). The claims are made at the round's
    ``now`` plus the time the round has run, so that a long round's late leases are not
    already over."""

    def __init__(self, storage: Storage, now: datetime, batch: int, lease: float) -> None:
        self._storage = storage
        self._now = now
        self._batch = batch
        self._lease = lease
        self._started = asyncio.get_running_loop().time()
        self._todo: deque[tuple[Feed, FeedState]] = deque()
        self._lock = asyncio.Lock()
        self._exhausted = False

    async def fill(self) -> bool:
        """Claim the next batch unless feeds are waiting; False when there are none left."""
        if not self._todo and not self._exhausted:
            elapsed = timedelta(seconds=asyncio.get_running_loop().time() - self._started)
            claimed = await self._storage.due_feeds(
                self._now + elapsed, limit=self._batch, lease_seconds=self._lease
            )
            self._exhausted = len(claimed) < self._batch
            self._todo.extend(claimed)
        return bool(self._todo)

    async def next(self) -> tuple[Feed, FeedState] | None:
        async with self._lock:  # one claim at a time: workers wait for the same batch
            if not await self.fill():
                return None
            return self._todo.popleft()

    def workers(self, concurrency: int) -> int:
        return concurrency if not self._exhausted else min(concurrency, len(self._todo))

    def left(self) -> list[str]:
        ids = [feed.id for feed, _ in self._todo]
        self._todo.clear()
        return ids

    async def release(self, feed_ids: Sequence[str]) -> None:
        """End these leases now (best effort: when the database is gone, they run out)."""
        if not feed_ids:
            return
        try:
            await self._storage.release_feeds(feed_ids)
        except StorageError:
            logger.warning("could not release the leases of %d feeds", len(feed_ids))


class Pipeline:
    """Polls feeds and turns their new entries into stored, queued briefs."""

    def __init__(
        self,
        storage: Storage,
        source: FeedSource,
        summarizer: Summarizer,
        *,
        poll_interval: timedelta,
        max_interval: timedelta | None = None,
        max_failures: int = 10,
        concurrency: int = 16,
        notify: Notify | None = None,
        on_queued: Callable[[], None] | None = None,
        deduper: Deduper | None = None,
        embedder: Embedder | None = None,
        dedup_window: timedelta = timedelta(hours=36),
        max_new: int = 50,
        feed_budget: timedelta = timedelta(minutes=2),
    ) -> None:
        self._storage = storage
        self._source = source
        self._summarizer = summarizer
        self._interval = poll_interval
        self._max_interval = max_interval or poll_interval * 36
        self._max_failures = max_failures
        self._limit = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._notify = notify
        self._on_queued = on_queued
        self._deduper = deduper
        self._embedder = embedder
        self._dedup_window = dedup_window
        self._record_lock = asyncio.Lock()
        self._stopping = False
        self._max_new = max_new
        self._budget = feed_budget.total_seconds()
        self._slack = min(DUE_SLACK, poll_interval / 10)
        self._lease = LEASE_BUDGETS * self._budget
        self._claim_batch = CLAIM_BATCH * concurrency
        self._running: set[str] = set()
        """Feeds being polled now (by this or an earlier, still running ``poll_due``)."""
        self._logged: set[tuple[str, str]] = set()
        """(feed id, what) already logged with a traceback: each problem is logged once."""

    @property
    def polling(self) -> int:
        """How many feeds are being polled now."""
        return len(self._running)

    def stop(self) -> None:
        """Finish the feeds being polled and take no more (a clean shutdown: a poll cancelled
        inside a database transaction can leave the connection half-closed)."""
        self._stopping = True

    async def poll_due(self, now: datetime) -> PollReport:
        """Poll every feed whose time has come; never raises for one feed's failure."""
        report = PollReport()
        claims = _Claims(self._storage, now + self._slack, self._claim_batch, self._lease)
        if not await claims.fill():
            return report
        index = AlertIndex([(a.chat, a.query) for a in await self._storage.alerts()])
        matcher = StoryMatcher(self._storage, self._deduper, window=self._dedup_window, now=now)
        shared = _Round(index, matcher)

        async def worker() -> None:
            while not self._stopping and (claimed := await claims.next()) is not None:
                feed, st = claimed  # workers share the claims: each takes the next due feed
                if feed.id in self._running:  # an overlapping round took it meanwhile
                    continue
                self._running.add(feed.id)
                try:
                    await self._guarded(feed, st, now, shared, report)
                except Exception as exc:  # not even the failure could be saved (database)
                    logger.exception("polling feed %s failed unexpectedly", feed.id)
                    report.failed += 1
                    report.errors[feed.id] = f"internal error: {exc.__class__.__name__}"
                    await claims.release([feed.id])
                finally:
                    self._running.discard(feed.id)

        # A fixed set of workers rather than one task per due feed: creating 10,000 tasks at
        # once kept the event loop busy for ~80 ms.
        try:
            await asyncio.gather(*(worker() for _ in range(claims.workers(self._concurrency))))
        finally:
            await self._save_unchanged(shared, at_least=1)
            await claims.release(claims.left())  # stopping: claimed, not polled
        if report.new_briefs and self._on_queued is not None:
            self._on_queued()
        logger.info(
            "polled %d feeds: %d unchanged, %d failed, %d new briefs",
            report.polled,
            report.not_modified,
            report.failed,
            report.new_briefs,
        )
        return report

    async def _guarded(
        self, feed: Feed, state: FeedState, now: datetime, shared: _Round, report: PollReport
    ) -> None:
        """Poll one feed. Whatever goes wrong is this feed's failure (back-off, pause,
        notice, ``/status``); only a failure to record that failure reaches the caller."""
        async with self._limit:
            report.polled += 1
            deadline = asyncio.get_running_loop().time() + self._budget
            try:
                async with asyncio.timeout_at(deadline):  # no database call inside
                    result = await self._source.fetch(feed, state)
            except HostThrottledError as exc:
                wait = timedelta(seconds=exc.retry_after)
                await self._storage.save_feed_state(
                    replace(state, last_polled_at=now, next_poll_at=now + wait)
                )
                report.failed += 1
                report.errors[feed.id] = str(exc)
                return
            except FeedError as exc:
                await self._feed_failed(feed, state, now, str(exc), report)
                return
            except TimeoutError:
                error = f"no answer within the poll budget of {self._budget:g} s"
                await self._feed_failed(feed, state, now, error, report)
                return
            except Exception as exc:  # a bug in fetching or parsing: this feed's failure
                await self._feed_failed(feed, state, now, self._internal(feed, exc), report)
                return
            if result.not_modified:
                report.not_modified += 1
            try:
                made = await self._ingest(feed, state, result, now, shared, deadline, report)
            except Exception as exc:  # stories stay unseen and are tried again after back-off
                await self._feed_failed(feed, state, now, self._internal(feed, exc), report)
                return
            report.new_briefs += made  # not "+= await": other feeds add to it meanwhile

    def _internal(self, feed: Feed, exc: Exception) -> str:
        """Log an unexpected error of ``feed``'s poll (with a traceback the first time) and
        return the reason ``/status`` shows."""
        reason = f"internal error: {type(exc).__name__}: {exc}"[:300]
        self._log_once(feed.id, type(exc).__name__, "polling feed %s failed unexpectedly", exc)
        return reason

    def _log_once(self, feed_id: str, what: str, message: str, exc: Exception) -> None:
        """``message % feed_id`` with a traceback the first time this feed has this problem,
        as one INFO line after that (a poisoned feed must not fill the log every tick)."""
        if (feed_id, what) not in self._logged:
            self._logged.add((feed_id, what))
            logger.error(message, feed_id, exc_info=exc)
        else:
            logger.info("%s (again): %s: %s", message % feed_id, type(exc).__name__, exc)

    async def _feed_failed(
        self, feed: Feed, state: FeedState, now: datetime, error: str, report: PollReport
    ) -> None:
        report.failed += 1
        report.errors[feed.id] = error
        await self._failed(feed, state, now, error)

    async def _failed(self, feed: Feed, state: FeedState, now: datetime, error: str) -> None:
        failures = state.failures + 1
        logger.warning("feed %s failed (%d in a row): %s", feed.id, failures, error)
        paused = None
        if failures >= self._max_failures:
            paused = f"{failures} failed polls in a row, last: {readable_reason(error)}"
        await self._storage.save_feed_state(
            replace(
                state,
                failures=failures,
                last_error=error,
                last_polled_at=now,
                next_poll_at=now + schedule.failure_backoff(failures, self._interval),
                paused_reason=paused,
            )
        )
        if paused:
            await self._tell(
                feed,
                lambda: _(
                    "The feed {title} ({feed}) is paused after {failures} failed polls "
                    "(last error: {reason}). It resumes when you subscribe to it again: "
                    "/subscribe {feed}",
                    title=feed.title,
                    feed=feed.id,
                    failures=failures,
                    reason=readable_reason(error),
                ),
            )

    async def _ingest(
        self,
        feed: Feed,
        state: FeedState,
        result: FetchResult,
        now: datetime,
        shared: _Round,
        deadline: float,
        report: PollReport,
    ) -> int:
        if result.moved_to:
            await self._storage.move_feed(feed.id, result.moved_to)
        new = await self._storage.unseen(feed.id, result.stories) if result.stories else []
        # Newest first (a stable sort: undated entries keep the feed's order), at most
        # ``max_new``; the rest are stored with their teasers and never pushed.
        new.sort(key=lambda s: s.published, reverse=True)
        new, skipped = new[: self._max_new], new[self._max_new :]
        new.reverse()  # recorded (and so delivered) oldest first
        deliver = state.primed
        made = 0
        todo: list[Story] = []
        for story in new:
            try:
                existing = await shared.matcher.existing(story)
                if existing is None:
                    todo.append(story)
                    continue
                await self._record_source(story, existing, now, shared, deliver)
                made += 1
            except Exception as exc:
                self._entry_failed(story, exc, report)
        enriched, texts = await self._texts(todo, priming=not deliver, deadline=deadline)
        fresh: list[Brief] = []
        for story, text in zip(enriched, texts, strict=True):
            try:
                brief = await self._record(story, text, now, shared, deliver)
                fresh += [brief] if brief is not None else []
                made += 1
            except Exception as exc:
                self._entry_failed(story, exc, report)
        made += await self._record_skipped(feed, skipped, now, deliver, report)
        if self._embedder is not None:  # for /latest <words>: found by meaning, no model run
            await store_embeddings(self._storage, self._embedder, fresh)
        passed_over = len(skipped) + result.entries_dropped
        if deliver and passed_over:
            await self._tell(
                feed,
                lambda: _(
                    "The feed {title} ({feed}) had {total} new entries at once: the newest "
                    "{sent} are on their way, {skipped} older ones were skipped.",
                    title=feed.title,
                    feed=feed.id,
                    total=f"{len(new) + passed_over:,}",
                    sent=len(new),
                    skipped=f"{passed_over:,}",
                ),
            )
        interval = schedule.next_interval(
            state.interval_seconds if state.primed else None,
            floor=int(self._interval.total_seconds()),
            ceiling=int(self._max_interval.total_seconds()),
            new_items=made,
            hint=result.min_interval_seconds,
        )
        saved = replace(
            state,
            etag=result.etag if not result.not_modified else state.etag,
            last_modified=(
                result.last_modified if not result.not_modified else state.last_modified
            ),
            content_hash=result.content_hash or state.content_hash,
            last_polled_at=now,
            last_success_at=now,
            next_poll_at=now + timedelta(seconds=interval),
            interval_seconds=interval,
            failures=0,
            last_error=None,
            primed=True,
        )
        if result.not_modified and not result.moved_to:
            shared.unchanged.append(saved)  # most polls: saved in batches, see STATE_BATCH
            await self._save_unchanged(shared, at_least=STATE_BATCH)
        else:
            await self._storage.save_feed_state(saved)
        return made

    async def _record(
        self, story: Story, text: Summarised, now: datetime, shared: _Round, deliver: bool
    ) -> Brief | None:
        """Store a story with its new brief; returns the brief (``None``: it joined one)."""
        async with self._record_lock, self._storage.story_lock():
            # Another feed of this round, or another worker, may have stored it meanwhile.
            existing = await shared.matcher.existing(story, fresh=True)
            if existing is not None:
                await self._record_source(story, existing, now, shared, deliver)
                return None
            alerts = shared.alerts.match(_alert_text(story, text)) if deliver else {}
            brief = await self._storage.record_story(
                story, text, now, deliver=deliver, alerts=alerts
            )
            shared.matcher.recorded(story, brief, new=True)
            return brief

    async def _record_skipped(
        self,
        feed: Feed,
        skipped: Sequence[Story],
        now: datetime,
        deliver: bool,
        report: PollReport,
    ) -> int:
        """Store the entries past ``max_new`` with their teasers, not pushed (so they are never
        pushed later either); no article, no model, no alerts, no embedding (they are found by
        their words). ``SEEN_BATCH`` entries to a transaction; a batch that fails is stored one
        entry at a time, so that only the entry at fault is skipped."""
        made = 0
        for i in range(0, len(skipped), SEEN_BATCH):
            batch = skipped[i : i + SEEN_BATCH]
            try:
                async with self._record_lock, self._storage.story_lock():
                    await self._storage.record_seen([(s, _teaser(s)) for s in batch], now)
                made += len(batch)
                continue
            except Exception as exc:
                logger.info(
                    "feed %s: storing %d entries at once failed: %s", feed.id, len(batch), exc
                )
            for story in batch:
                try:
                    async with self._record_lock, self._storage.story_lock():
                        await self._storage.record_story(story, _teaser(story), now, deliver=False)
                    made += 1
                except Exception as exc:
                    self._entry_failed(story, exc, report)
        if skipped and deliver:
            logger.warning(
                "feed %s: %d new entries in one poll; the newest %d pushed, %d stored unpushed",
                feed.id,
                len(skipped) + self._max_new,
                self._max_new,
                len(skipped),
            )
        return made

    def _entry_failed(self, story: Story, exc: Exception, report: PollReport) -> None:
        """One entry could not be stored: skip it (it stays unseen and is tried again next
        poll), count it, log it once."""
        report.skipped_entries += 1
        self._log_once(
            story.feed_id, f"entry:{type(exc).__name__}", "feed %s: skipped an entry", exc
        )

    async def _tell(self, feed: Feed, text: Callable[[], str]) -> None:
        """Send one line to every chat subscribed to ``feed`` (the notice path), written by
        ``text`` in each chat's language."""
        if self._notify is None:
            return
        for chat in await self._storage.subscribers(feed.id):
            try:
                with using((await self._storage.get_chat(chat)).language):
                    line = text()
                await self._notify(chat, line)
            except Exception:  # one chat's failure must not stop the others' notice
                logger.exception("could not tell %s about feed %s", chat, feed.id)

    async def _save_unchanged(self, shared: _Round, *, at_least: int) -> None:
        """Save the waiting states of unchanged feeds once there are ``at_least`` of them."""
        if len(shared.unchanged) < at_least:
            return
        batch, shared.unchanged = shared.unchanged, []
        try:
            await self._storage.save_feed_states(batch)
        except StorageError:  # they are polled (conditionally) again when their leases end
            logger.exception("could not save the poll times of %d unchanged feeds", len(batch))

    async def _record_source(
        self, story: Story, brief: Brief, now: datetime, shared: _Round, deliver: bool
    ) -> None:
        """Store ``story`` as another source of ``brief`` (no new summary, no second post)."""
        text = Summarised(brief.title, brief.summary)
        alerts = shared.alerts.match(_alert_text(story, text)) if deliver else {}
        await self._storage.add_source(
            story,
            brief.id,
            now,
            deliver=deliver,
            alerts=alerts,
            held_since=now - self._dedup_window,  # /importance: only within the window
        )
        shared.matcher.recorded(story, brief, new=False)

    async def _texts(
        self, stories: Sequence[Story], *, priming: bool, deadline: float
    ) -> tuple[list[Story], list[Summarised]]:
        """The stories (oldest first) with their article text, and a headline + summary for
        each; when priming, only the newest ``PRIME_SUMMARISED`` cost an article fetch and the
        model, the rest keep the feed's teaser. Article fetching stops at ``deadline`` (the
        feed's poll budget): the stories not enriched by then keep their teasers. A source or
        summariser that fails keeps the teasers too: one story's text never costs the feed."""
        if not stories:
            return [], []
        keep = len(stories) - PRIME_SUMMARISED if priming else 0
        older, newest = list(stories[: max(keep, 0)]), stories[max(keep, 0) :]
        enriched = [await self._enrich(story, deadline) for story in newest]
        try:
            made = await self._summarizer.summarize(enriched)
        except Exception as exc:
            self._log_once(
                newest[0].feed_id, "summarize", "feed %s: summarising failed; teasers kept", exc
            )
            made = [_teaser(s) for s in enriched]
        return [*older, *enriched], [*(_teaser(s) for s in older), *made]

    async def _enrich(self, story: Story, deadline: float) -> Story:
        if asyncio.get_running_loop().time() >= deadline:
            return story
        try:
            async with asyncio.timeout_at(deadline):  # network only, no database call inside
                return await self._source.enrich(story)
        except TimeoutError:
            logger.info("feed %s: poll budget spent; %s keeps its teaser", story.feed_id, story.key)
        except Exception as exc:
            self._log_once(story.feed_id, "enrich", "feed %s: article failed; teaser kept", exc)
        return story


def _teaser(story: Story) -> Summarised:
    return Summarised(story.title, briefs.clip(story.summary, TEASER_CHARS))


def _alert_text(story: Story, text: Summarised | None) -> str:
    """What alerts are matched against: headline, summary and article text."""
    parts = [story.title, story.summary]
    if text is not None:
        parts += [text.title, text.summary]
    if story.content_html:
        parts.append(plain_text(story.content_html))
    return "\n".join(parts)
