"""Publisher furniture learned from the feed (bot.furniture) on real SQLite storage."""

from __future__ import annotations

from pathlib import Path

from bot.briefing import ModelSummarizer
from bot.core.models import Feed
from bot.furniture import FurnitureLearner
from bot.storage import open_storage
from tests.fakes import FixedClock, make_story

STOCK = "Keep up with all the latest news from the region on our live page."
FEEDS = [Feed("a", "https://a.example/rss", "A"), Feed("b", "https://b.example/rss", "B")]


def _story(n: int, feed: str = "a") -> object:
    text = f"Officials said bridge number {n} would reopen on Monday after repairs. {STOCK}"
    return make_story(n, feed, summary=text)


async def test_a_line_in_three_stories_of_a_source_is_dropped_and_survives_restart(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    storage = await open_storage(url)
    await storage.sync_catalogue(FEEDS)
    learner = FurnitureLearner(
        ModelSummarizer("lead", model=None, max_words=60), storage, FixedClock()
    )
    first = await learner.summarize([_story(1), _story(2)])  # type: ignore[list-item]
    assert all(STOCK in s.summary for s in first)  # two stories: kept
    await storage.close()
    storage = await open_storage(url)  # a restart: the sightings are in the database
    learner = FurnitureLearner(
        ModelSummarizer("lead", model=None, max_words=60), storage, FixedClock()
    )
    [other] = await learner.summarize([_story(3, "b")])  # type: ignore[list-item]
    assert STOCK in other.summary  # another source's story keeps it
    [third] = await learner.summarize([_story(4)])  # type: ignore[list-item]
    assert STOCK not in third.summary and "bridge number 4" in third.summary
    await storage.close()
