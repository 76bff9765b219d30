"""``search_latest``: words first, then the nearest by meaning above the floor, marked related;
never a private feed's brief; embeddings written by the pipeline, so a query runs the model
once (for the query) and never for a stored story."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands import Commands
from bot.core.errors import UserInputError
from bot.core.models import ChatRef, Feed, Platform, ReplyKind
from bot.core.pipeline import Pipeline
from bot.core.ports import Summarised
from bot.core.search import Found, search_latest, store_embeddings
from bot.storage import SqlStorage
from tests.core.delivery_support import T0, EchoSummarizer, ScriptedSource, story
from tests.fakes import FakeEmbedder, FakeFeedSource, FakeStorage, FixedClock, make_story

CHAT = ChatRef(Platform.TELEGRAM, "100")
OTHER = ChatRef(Platform.TELEGRAM, "200")
FEEDS = [Feed("bbc", "https://bbc.example/rss", "BBC"), Feed("dw", "https://dw.example/rss", "DW")]
PRIVATE = Feed("club", "https://club.example/rss", "Club", trusted=False)
WAR = "kursk sudzha incursion troops"
SPORT = "football match goal"


async def _storage(*briefs: tuple[str, str, str]) -> tuple[FakeStorage, FakeEmbedder]:
    """A fake storage holding ``(feed, title, summary)`` briefs, numbered in order (later is
    newer), each embedded as the pipeline would."""
    storage, embedder = FakeStorage(), FakeEmbedder(war=WAR, sport=SPORT)
    await storage.sync_catalogue(FEEDS)
    await storage.add_feed(PRIVATE, owner=OTHER, now=T0)
    recorded = []
    for n, (feed, title, summary) in enumerate(briefs, 1):
        s = make_story(n, feed, title=title, summary=summary)
        recorded.append(
            await storage.record_story(s, Summarised(title, summary), T0, deliver=False)
        )
    assert await store_embeddings(storage, embedder, recorded) == len(recorded)
    embedder.texts.clear()
    return storage, embedder


def _shown(found: list[Found]) -> list[tuple[str, bool]]:
    return [(f.brief.title, f.related) for f in found]


async def test_words_first_then_related_by_meaning_nearest_first() -> None:
    storage, embedder = await _storage(
        ("bbc", "Kursk incursion widens", "Troops crossed near Sudzha."),
        ("dw", "Troops dig in", "Week two."),
        ("bbc", "Cup final tonight", "A football match."),
        ("dw", "Sudzha shelled", "Troops and more troops near Sudzha, incursion feared."),
    )
    found = await search_latest(storage, embedder, CHAT, "kursk", 5)
    assert _shown(found) == [
        ("Kursk incursion widens", False),
        ("Troops dig in", True),  # one war word, as the query: the same direction
        ("Sudzha shelled", True),
    ]
    assert [round(f.score or 0, 2) for f in found] == [0, 1.0, 0.97]
    assert embedder.texts == ["kursk"]  # the query, once; no stored story re-embedded


async def test_enough_word_matches_need_no_model() -> None:
    storage, embedder = await _storage(
        ("bbc", "Kursk one", ""), ("dw", "Kursk two", ""), ("bbc", "Sudzha troops", "")
    )
    found = await search_latest(storage, embedder, CHAT, "kursk", 2)
    assert _shown(found) == [("Kursk two", False), ("Kursk one", False)]
    assert embedder.texts == []


async def test_related_briefs_never_carry_an_excluded_term() -> None:
    storage, embedder = await _storage(
        ("bbc", "Troops near Sudzha", "Incursion goes on."),
        ("dw", "Troops near Sudzha play football", "Incursion pauses for a match."),
    )
    found = await search_latest(storage, embedder, CHAT, "kursk -football", 5)
    assert _shown(found) == [("Troops near Sudzha", True)]
    assert embedder.texts == ["kursk"]


async def test_a_private_feed_is_not_offered_as_related_to_other_chats() -> None:
    storage, embedder = await _storage(
        ("club", "Sudzha troops seen by members", "Incursion."),
        ("bbc", "Kursk latest", ""),
    )
    assert _shown(await search_latest(storage, embedder, CHAT, "kursk", 5)) == [
        ("Kursk latest", False)
    ]
    assert _shown(await search_latest(storage, embedder, OTHER, "kursk", 5)) == [
        ("Kursk latest", False),
        ("Sudzha troops seen by members", True),
    ]


async def test_nothing_below_the_floor_and_no_model_no_fill() -> None:
    storage, embedder = await _storage(("bbc", "Cup final", "football"), ("dw", "Kursk", ""))
    assert _shown(await search_latest(storage, embedder, CHAT, "kursk", 5)) == [("Kursk", False)]
    assert _shown(await search_latest(storage, None, CHAT, "sudzha", 5)) == []


async def test_a_failing_model_leaves_the_word_matches() -> None:
    storage, _ = await _storage(("bbc", "Kursk", ""), ("dw", "Sudzha troops", ""))

    class Broken(FakeEmbedder):
        async def embed_query(self, text: str) -> object:  # type: ignore[override]
            raise RuntimeError("model gone")

    found = await search_latest(storage, Broken(), CHAT, "kursk", 5)
    assert _shown(found) == [("Kursk", False)]


async def test_bad_queries_get_one_plain_sentence() -> None:
    storage, embedder = await _storage()
    with pytest.raises(UserInputError, match="/latest"):
        await search_latest(storage, embedder, CHAT, "-football", 5)
    with pytest.raises(UserInputError, match="A search may be at most"):
        await search_latest(storage, embedder, CHAT, "x" * 300, 5)


async def test_the_pipeline_embeds_each_new_brief_once(db: SqlStorage) -> None:
    embedder = FakeEmbedder(war=WAR)
    a = story("wire", 1, title="Kursk incursion widens", when=T0)
    b = story("daily", 2, title="Sudzha troops dig in", when=T0)
    same_link = story("daily", 3, title="Kursk incursion widens", link=a.link, when=T0)
    source = ScriptedSource({"wire": [[], [a]], "daily": [[], [b, same_link]]})
    pipeline = Pipeline(
        db, source, EchoSummarizer(), poll_interval=timedelta(minutes=10), embedder=embedder
    )
    await pipeline.poll_due(T0)
    await pipeline.poll_due(T0 + timedelta(minutes=10))
    stored = await db.brief_vectors(CHAT, 10)
    assert len(stored) == 2  # two briefs; the same link joined the first, no second vector
    assert len(embedder.texts) == 2
    embedder.texts.clear()
    found = await search_latest(db, embedder, CHAT, "sudzha", 3)
    assert _shown(found) == [("Sudzha troops dig in", False), ("Kursk incursion widens", True)]
    assert embedder.texts == ["sudzha"]


async def _commands(*briefs: tuple[str, str, str]) -> Commands:
    storage, embedder = await _storage(*briefs)
    await storage.sync_catalogue([*FEEDS, Feed("war", "https://war.example/rss", "War", ("war",))])
    return Commands(storage, FakeFeedSource(), FixedClock(T0), embedder=embedder)


async def test_latest_words_answer_with_matches_then_related() -> None:
    commands = await _commands(
        ("bbc", "Kursk incursion widens", "Troops crossed near Sudzha."),
        ("dw", "Cup final tonight", "A football match."),
        ("dw", "Troops dig in near Sudzha", "Week two."),
        ("bbc", "Kursk talks", "Envoys meet."),
    )
    reply = await commands.dispatch(CHAT, "/latest kursk 3")
    assert reply is not None and reply.kind is ReplyKind.INFO
    assert reply.text == 'The latest 2 stories matching "kursk", then 1 related by meaning:'
    assert [b.title for b in reply.briefs] == ["Kursk talks", "Kursk incursion widens"]
    assert [b.title for b in reply.related] == ["Troops dig in near Sudzha"]
    only = await commands.dispatch(CHAT, '/latest "cup final" -kursk')
    assert only is not None and only.text == 'The latest story matching ""cup final" -kursk":'
    assert [b.title for b in only.briefs] == ["Cup final tonight"] and only.related == ()


async def test_latest_feed_ids_and_topics_win_over_words() -> None:
    commands = await _commands(("bbc", "About dw and war", "dw war"), ("dw", "Plain", ""))
    by_feed = await commands.dispatch(CHAT, "/latest dw")
    assert by_feed is not None and [b.title for b in by_feed.briefs] == ["Plain"]
    by_topic = await commands.dispatch(CHAT, "/latest war")  # a topic, though also a word
    assert by_topic is not None and by_topic.text.startswith("No stories yet")


async def test_latest_words_that_match_nothing_and_bad_syntax() -> None:
    commands = await _commands(("bbc", "Kursk", ""))
    none = await commands.dispatch(CHAT, "/latest bbx")
    assert none is not None and none.text == (
        'No stories match "bbx". No feed or topic called "bbx". Did you mean bbc? '
        "/feeds lists them all."
    )
    bad = await commands.dispatch(CHAT, "/latest -kursk")
    assert bad is not None and bad.kind is ReplyKind.ERROR and "/latest" in bad.text
