"""``FurnitureLearner`` against the in-memory store and a failing one: a brief is never lost
over furniture, a republished story keeps its text, and housekeeping forgets old sightings."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from bot.briefing import ModelSummarizer
from bot.core.errors import StorageError
from bot.core.models import Story
from bot.furniture import WINDOW, FurnitureLearner, story_sentences, text_hash
from tests.fakes import FakeStorage, FixedClock, make_story

STOCK = "Keep up with all the latest news from the region on our live page."
PLUG = "Our correspondents in the valley contributed to this report from the ground."


def _story(n: int, feed: str = "a", *, extra: str = "") -> Story:
    text = (
        f"Officials said bridge number {n} would reopen on Monday after repairs. "
        f"Traffic on route {n} is expected to ease by the weekend. {extra}"
    )
    return make_story(n, feed, summary=text.strip())


def _learner(store: object, clock: FixedClock, **kw: object) -> FurnitureLearner:
    summarizer = ModelSummarizer("lead", model=None, max_words=80)
    return FurnitureLearner(summarizer, store, clock, **kw)  # type: ignore[arg-type]


DISK_ERROR = "database error: OperationalError: disk I/O error"


class _BrokenStore:
    """A store whose database is down."""

    def __init__(self) -> None:
        self.asked = 0

    async def learn_sentences(self, *_: object, **__: object) -> set[int]:
        self.asked += 1
        raise StorageError(DISK_ERROR)

    async def prune_sentences(self, before: datetime) -> int:
        raise StorageError(DISK_ERROR)


def test_sentences_are_hashed_by_their_normalised_key() -> None:
    a = story_sentences(_story(1, extra=STOCK))
    b = story_sentences(_story(2, extra=STOCK.upper().replace(" ", "  ")))
    assert len(a) == 3
    shared = set(a) & set(b)
    assert len(shared) == 1  # only the stock line, however it was spaced and cased
    assert a[shared.pop()] == " ".join(STOCK.lower().split())
    assert text_hash("x") == text_hash("x") != text_hash("y")
    assert -(2**63) <= text_hash(STOCK) < 2**63  # fits a signed BIGINT


async def test_a_line_becomes_furniture_at_the_third_story_of_one_source() -> None:
    store, clock = FakeStorage(), FixedClock()
    learner = _learner(store, clock)
    made = [(await learner.summarize([_story(n, extra=STOCK)]))[0] for n in (1, 2, 3)]
    assert [STOCK in m.summary for m in made] == [True, True, False]
    assert "bridge number 3" in made[2].summary


async def test_a_smaller_min_stories_learns_sooner() -> None:
    learner = _learner(FakeStorage(), FixedClock(), min_stories=2)
    first, second = await learner.summarize([_story(1, extra=PLUG), _story(2, extra=PLUG)])
    assert PLUG in first.summary and PLUG not in second.summary


async def test_sightings_older_than_the_window_do_not_count() -> None:
    store, clock = FakeStorage(), FixedClock()
    learner = _learner(store, clock, window=timedelta(days=1))
    await learner.summarize([_story(1, extra=STOCK)])
    await learner.summarize([_story(2, extra=STOCK)])
    clock.advance(2 * 86400)
    [late] = await learner.summarize([_story(3, extra=STOCK)])
    assert STOCK in late.summary  # the two earlier sightings are too old


async def test_a_story_published_again_keeps_all_its_sentences() -> None:
    store, clock = FakeStorage(), FixedClock()
    learner = _learner(store, clock, min_stories=2)
    original = _story(1)
    await learner.summarize([original])
    again = make_story(
        9, "a", link="https://news.example/moved", summary=original.summary, title=original.title
    )
    [made] = await learner.summarize([again])
    # Every sentence was seen in two stories now; that is a republished story, not furniture.
    assert "bridge number 1" in made.summary and "route 1" in made.summary


async def test_a_failing_store_never_costs_the_brief(caplog: pytest.LogCaptureFixture) -> None:
    store = _BrokenStore()
    learner = _learner(store, FixedClock())
    with caplog.at_level(logging.WARNING, "bot.furniture"):
        [made] = await learner.summarize([_story(5, extra=STOCK)])
    assert "bridge number 5" in made.summary and STOCK in made.summary
    assert store.asked == 1
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "furniture of a not learned from https://news.example/5: "
        "database error: OperationalError: disk I/O error"
    )


async def test_a_story_without_text_asks_the_store_nothing() -> None:
    store = _BrokenStore()
    learner = _learner(store, FixedClock())
    empty = make_story(6, summary="", title="")
    assert story_sentences(empty) == {}
    await learner.summarize([empty])
    assert store.asked == 0


async def test_housekeeping_forgets_sightings_older_than_the_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, clock = FakeStorage(), FixedClock()
    learner = _learner(store, clock)
    await learner.summarize([_story(1, extra=STOCK)])
    seen = len(store.sightings)
    assert seen == 3
    assert await learner.housekeep() == 0  # nothing is old yet
    clock.advance(WINDOW.total_seconds() / 2)
    await learner.summarize([_story(2)])
    clock.advance(WINDOW.total_seconds() / 2 + 1)
    with caplog.at_level(logging.INFO, "bot.furniture"):
        assert await learner.housekeep() == seen
    assert len(store.sightings) == 2  # the second story's sightings stay
    assert "forgot 3 sentence sightings" in caplog.records[-1].getMessage()


async def test_housekeeping_with_the_database_down_logs_and_reports_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    learner = _learner(_BrokenStore(), FixedClock())
    with caplog.at_level(logging.ERROR, "bot.furniture"):
        assert await learner.housekeep() == 0
    [record] = caplog.records
    assert record.getMessage() == "could not prune old sentence sightings"
    assert record.exc_info is not None
