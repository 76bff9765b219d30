"""The search part of the Storage contract (``bot.core.search``), on the fake, SQLite and
PostgreSQL alike: words as alerts match them, newest first, and never a private feed's brief
or name for a chat that does not own the feed."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import text

from bot.core.alerts import parse_query
from bot.core.models import ChatRef, Feed, Platform
from bot.core.ports import Storage, Summarised
from bot.core.search import pack, unpack
from bot.storage import SqlStorage
from tests.fakes import T0, make_story

CHAT = ChatRef(Platform.TELEGRAM, "100")
OTHER = ChatRef(Platform.DISCORD, "200", "thread-7")
PUBLIC = [
    Feed("bbc", "https://bbc.example/rss", "BBC World", ("world",), "en"),
    Feed("dw", "https://dw.example/rss", "DW", ("europe",), "en"),
]
PRIVATE = Feed("secret", "https://secret.example/rss", "Secret Club News", trusted=False)


async def _record(storage: Storage, n: int, feed: str, title: str, summary: str = "") -> int:
    story = make_story(n, feed, title=title, summary=summary)
    brief = await storage.record_story(story, Summarised(title, summary), T0, deliver=False)
    return brief.id


async def _titles(storage: Storage, chat: ChatRef, words: str, limit: int = 10) -> list[str]:
    return [b.title for b in await storage.search_briefs(chat, parse_query(words), limit)]


async def test_words_match_as_alerts_do_newest_first(storage: Storage) -> None:
    await storage.sync_catalogue(PUBLIC)
    await _record(storage, 1, "bbc", "Troops push into Kursk region", "Fighting near Sudža.")
    await _record(storage, 2, "dw", "Interest rates held", "The ECB kept interest rates.")
    await _record(storage, 3, "bbc", "Kursk football club wins", "A match report.")
    await _record(storage, 4, "dw", "Rates of pay rise", "Interest in unions grows.")
    await _record(storage, 5, "bbc", "Kursk incursion enters second week", "")
    assert await _titles(storage, CHAT, "kursk") == [
        "Kursk incursion enters second week",
        "Kursk football club wins",
        "Troops push into Kursk region",
    ]
    assert await _titles(storage, CHAT, "kursk", 2) == [
        "Kursk incursion enters second week",
        "Kursk football club wins",
    ]
    assert await _titles(storage, CHAT, "kursk -football") == [
        "Kursk incursion enters second week",
        "Troops push into Kursk region",
    ]
    assert await _titles(storage, CHAT, '"interest rates"') == ["Interest rates held"]
    assert await _titles(storage, CHAT, "interest rates") == [
        "Rates of pay rise",
        "Interest rates held",
    ]
    assert await _titles(storage, CHAT, "sudza OR ecb") == [
        "Interest rates held",
        "Troops push into Kursk region",
    ]
    assert await _titles(storage, CHAT, "KURSK region") == ["Troops push into Kursk region"]
    assert await _titles(storage, CHAT, "rate") == []  # whole words, as alerts
    assert await _titles(storage, CHAT, "nothing-like-this") == []


async def test_private_feeds_stay_private(storage: Storage) -> None:
    await storage.sync_catalogue(PUBLIC)
    await storage.add_feed(PRIVATE, owner=OTHER, now=T0)
    await _record(storage, 1, "secret", "Kursk gossip from the club")
    shared = make_story(2, "bbc", title="Kursk talks open")
    await storage.record_story(shared, Summarised("Kursk talks open", ""), T0, deliver=False)
    await storage.record_story(
        make_story(3, "secret", link=shared.link), None, T0 + timedelta(1), deliver=False
    )
    [seen] = await storage.search_briefs(CHAT, parse_query("kursk"), 10)
    assert seen.title == "Kursk talks open"
    assert seen.source == "BBC World" and seen.also_sources == ()
    owner = await storage.search_briefs(OTHER, parse_query("kursk"), 10)
    assert [b.title for b in owner] == ["Kursk talks open", "Kursk gossip from the club"]
    assert owner[0].also_sources == ("Secret Club News",)


async def test_private_first_source_is_not_named(storage: Storage) -> None:
    await storage.sync_catalogue(PUBLIC)
    await storage.add_feed(PRIVATE, owner=OTHER, now=T0)
    first = make_story(1, "secret", title="Kursk bridge closed")
    await storage.record_story(first, Summarised(first.title, ""), T0, deliver=False)
    later = make_story(2, "dw", link=first.link)
    await storage.record_story(later, None, T0, deliver=False)
    [brief] = await storage.search_briefs(CHAT, parse_query("bridge"), 5)
    assert (brief.feed_id, brief.source, brief.also_sources) == ("dw", "DW", ())
    [by_id] = await storage.briefs_by_id(CHAT, [brief.id])
    assert by_id.source == "DW"


async def test_embeddings_round_trip_newest_first_and_private(storage: Storage) -> None:
    await storage.sync_catalogue(PUBLIC)
    await storage.add_feed(PRIVATE, owner=OTHER, now=T0)
    a = await _record(storage, 1, "bbc", "One")
    b = await _record(storage, 2, "dw", "Two")
    hidden = await _record(storage, 3, "secret", "Three")
    bare = await _record(storage, 4, "bbc", "Four, never embedded")
    assert await storage.brief_vectors(CHAT, 10) == []
    vectors = {i: pack(np.full(8, float(i), np.float32)) for i in (a, b, hidden)}
    await storage.save_embeddings({**vectors, 999_999: vectors[a]})
    assert await storage.brief_vectors(CHAT, 10) == [(b, vectors[b]), (a, vectors[a])]
    assert await storage.brief_vectors(CHAT, 1) == [(b, vectors[b])]
    assert [i for i, _ in await storage.brief_vectors(OTHER, 10)] == [hidden, b, a]
    assert [x.title for x in await storage.briefs_by_id(CHAT, [bare, hidden, a])] == [
        "Four, never embedded",
        "One",
    ]
    assert await storage.briefs_by_id(CHAT, []) == []


def test_pack_keeps_the_cosine() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    restored = unpack([pack(v) for v in vectors], 384)
    assert len(pack(vectors[0])) == 384
    assert np.max(np.abs(restored @ vectors[0] - vectors @ vectors[0])) < 0.01


async def test_sqlite_uses_fts5_and_scans_without_it(sqlite_storage: SqlStorage) -> None:
    await sqlite_storage.sync_catalogue(PUBLIC)
    for n in range(1, 8):
        await _record(sqlite_storage, n, "bbc", f"Kursk report {n}" if n % 2 else f"Other {n}")
    async with sqlite_storage._engine.connect() as conn:
        indexed = await conn.scalar(text("SELECT count(*) FROM briefs_fts"))
    assert indexed == 7
    with_index = await _titles(sqlite_storage, CHAT, "kursk -7", 3)
    assert sqlite_storage._fts5 is True
    sqlite_storage._fts5 = False  # as on a build without FTS5: the newest briefs are scanned
    assert await _titles(sqlite_storage, CHAT, "kursk -7", 3) == with_index
    assert with_index == ["Kursk report 5", "Kursk report 3", "Kursk report 1"]
