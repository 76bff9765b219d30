"""``/latest <words>`` over 100,000 stored briefs: p95 query time for words and for meaning, on
SQLite and PostgreSQL, against a naive scan in the same run.

The briefs are synthetic: 500 topics, each with 8 words of its own and a random unit centroid
in 384 dimensions; a brief takes a topic, a headline of 3 topic words and 5 common words and a
summary of 4 topic words and 40 common words (5,000 common words drawn by a Zipf law), and an
embedding of its topic's centroid plus noise (cosine ~0.8 to the centroid; queries ~0.85), stored as the
pipeline stores it (int8, ``bot.core.search.pack``). 200 feeds (20 of them added by chats and
private), one to three feeds per brief. Queries are run for a chat owning one private feed:

- words: a topic word (~170 matches), a common word (thousands), a quoted phrase from a
  headline, a topic word with a common-word exclusion, a word no brief has; timed through
  ``Storage.search_briefs`` for 10 results (the database's full-text index, then the alert
  matcher on the candidates). Naive: every visible brief loaded and matched in Python.
- meaning: a topic centroid plus noise as the query vector (the model's part is timed
  separately below), timed through ``brief_vectors`` of the newest ``RELATED_WINDOW`` + cosine
  + ``briefs_by_id`` of the 10 nearest. Naive: every visible brief's vector loaded and scored
  row by row in Python.

The real MiniLM, when installed, embeds a sample of query words (the one model run a search
costs) and 300 real headlines, whose int8 round trip is compared with float32 cosines.

Run: ``HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/search.py [--briefs 100000]``
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, insert, select

from bot.core.alerts import Document, Query
from bot.core.models import ChatRef, Feed, Platform
from bot.core.search import RELATED_FLOOR, RELATED_WINDOW, nearest, pack, parse_search, search_text
from bot.storage import SqlStorage, open_storage
from bot.storage.tables import BriefRow, BriefSourceRow
from tests.postgres import postgres_server

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS, TOPIC_WORDS, COMMON, DIM = 500, 8, 5000, 384
CHAT = ChatRef(Platform.TELEGRAM, "bench")
RUNS, NAIVE_RUNS = 40, 8


def word(n: int) -> str:
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    out = ""
    n += 1
    while n:
        n, r = divmod(n, 80)
        out += consonants[r % 16] + vowels[r // 16]
    return out


class Corpus:
    def __init__(self, briefs: int, seed: int = 19) -> None:
        self.rng = random.Random(seed)
        rng = np.random.default_rng(seed)
        self.topic_words = [
            [word(COMMON + t * TOPIC_WORDS + k) + "x" for k in range(TOPIC_WORDS)]
            for t in range(TOPICS)
        ]
        self.common = [word(k) for k in range(COMMON)]
        weights = 1 / np.arange(1, COMMON + 1)
        self.common_p = weights / weights.sum()
        centroids = rng.normal(size=(TOPICS, DIM)).astype(np.float32)
        self.centroids = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
        self.np_rng = rng
        self.briefs = briefs

    def commons(self, k: int) -> list[str]:
        picks = self.np_rng.choice(COMMON, size=k, p=self.common_p)
        return [self.common[i] for i in picks]

    def text(self, topic: int, topic_k: int, common_k: int) -> str:
        words = self.rng.sample(self.topic_words[topic], topic_k) + self.commons(common_k)
        self.rng.shuffle(words)
        return " ".join(words).capitalize()

    def vector(self, topic: int, noise: float = 0.035) -> np.ndarray[Any, Any]:
        v = self.centroids[topic] + self.np_rng.normal(scale=noise, size=DIM).astype(np.float32)
        return v / np.linalg.norm(v)


async def fill(storage: SqlStorage, corpus: Corpus) -> None:
    feeds = [Feed(f"f{i}", f"https://f{i}.example/rss", f"Feed {i}") for i in range(180)]
    await storage.sync_catalogue(feeds)
    private = []
    for i in range(20):
        owner = CHAT if i == 0 else ChatRef(Platform.TELEGRAM, f"owner{i}")
        feed = Feed(f"p{i}", f"https://p{i}.example/rss", f"Private {i}", trusted=False)
        private.append((await storage.add_feed(feed, owner=owner, now=T0)).id)
    feed_ids = [f.id for f in feeds] + private
    briefs = cast(Table, BriefRow.__table__)
    sources = cast(Table, BriefSourceRow.__table__)
    engine = storage._engine
    for start in range(0, corpus.briefs, 5000):
        rows, carried = [], []
        for n in range(start + 1, min(start + 5001, corpus.briefs + 1)):
            topic = corpus.rng.randrange(TOPICS)
            title, summary = corpus.text(topic, 3, 5), corpus.text(topic, 4, 40)
            when = T0 + timedelta(minutes=n)
            first, *others = corpus.rng.sample(feed_ids, corpus.rng.choice((1, 1, 2, 3)))
            rows.append(
                {
                    "id": n,
                    "story_key": f"https://news.example/{n}",
                    "feed_id": first,
                    "title": title,
                    "summary": summary,
                    "link": f"https://news.example/{n}",
                    "published": when,
                    "image_url": "",
                    "created_at": when,
                    "search_text": search_text(title, summary),
                    "embedding": pack(corpus.vector(topic)),
                }
            )
            carried += [{"brief_id": n, "feed_id": f, "seen_at": when} for f in [first, *others]]
        async with engine.begin() as conn:
            await conn.execute(insert(briefs), rows)
            await conn.execute(insert(sources), carried)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")


def queries(corpus: Corpus) -> dict[str, list[str]]:
    rng = random.Random(7)
    topic = [rng.choice(rng.choice(corpus.topic_words)) for _ in range(RUNS)]
    common = [corpus.common[rng.randrange(3, 40)] for _ in range(RUNS)]
    phrase = []
    for _ in range(RUNS):
        t = rng.randrange(TOPICS)
        phrase.append(f'"{rng.choice(corpus.topic_words[t])} {corpus.common[rng.randrange(5)]}"')
    excluding = [f"{topic[i]} -{corpus.common[rng.randrange(10)]}" for i in range(RUNS)]
    missing = [f"zzq{i}" for i in range(RUNS)]
    return {
        "topic word": topic,
        "common word": common,
        "phrase": phrase,
        "exclusion": excluding,
        "no match": missing,
    }


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


async def timed(call: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        out.append(time.perf_counter() - start)
    return out


async def naive_words(storage: SqlStorage, query: Query, limit: int) -> list[int]:
    async with storage._tx() as s:
        _, visible = await storage._visible(s, CHAT)
        query = select(BriefRow.id, BriefRow.title, BriefRow.summary, BriefRow.published)
        rows = await s.execute(query if visible is None else query.where(visible))
        hits = [
            (published, brief_id)
            for brief_id, title, summary, published in rows
            if query.matches_document(Document(f"{title} {summary}"))
        ]
    hits.sort(reverse=True)
    return [brief_id for _, brief_id in hits[:limit]]


async def naive_meaning(storage: SqlStorage, vector: np.ndarray[Any, Any]) -> list[int]:
    async with storage._tx() as s:
        _, visible = await storage._visible(s, CHAT)
        query = select(BriefRow.id, BriefRow.embedding)
        rows = await s.execute(query if visible is None else query.where(visible))
        scored = []
        for brief_id, blob in rows:
            v = np.frombuffer(blob, np.int8).astype(np.float32)
            score = float(v @ vector) / float(np.linalg.norm(v))
            if score >= RELATED_FLOOR:
                scored.append((score, brief_id))
    scored.sort(reverse=True)
    return [brief_id for _, brief_id in scored[:10]]


async def meaning(storage: SqlStorage, vector: np.ndarray[Any, Any]) -> list[int]:
    stored = await storage.brief_vectors(CHAT, RELATED_WINDOW)
    hits = nearest(vector, stored, floor=RELATED_FLOOR, limit=10)
    return [b.id for b in await storage.briefs_by_id(CHAT, [i for i, _ in hits])]


async def run(name: str, url: str, corpus: Corpus) -> None:
    storage = await open_storage(url)
    try:
        start = time.perf_counter()
        await fill(storage, corpus)
        print(f"\n{name}: {corpus.briefs:,} briefs stored in {time.perf_counter() - start:.0f} s")
        kinds = queries(corpus)
        all_words, all_naive = [], []
        print(f"  words, 10 results     p95 ms  naive p95 ms  (naive: {NAIVE_RUNS} runs/kind)")
        for kind, texts in kinds.items():
            parsed = [parse_search(t) for t in texts]
            it = iter(parsed)
            ours = await timed(lambda: storage.search_briefs(CHAT, next(it), 10), len(parsed))
            it = iter(parsed[:NAIVE_RUNS])
            slow = await timed(lambda: naive_words(storage, next(it), 10), NAIVE_RUNS)
            for q in parsed[:3]:  # the same answer as the naive scan
                got = [b.id for b in await storage.search_briefs(CHAT, q, 10)]
                assert got == await naive_words(storage, q, 10), (kind, q)
            all_words += ours
            all_naive += slow
            print(f"  {kind:20s} {p95(ours):8.1f}  {p95(slow):12.1f}")
        print(
            f"  WORDS all kinds: p95 {p95(all_words):.1f} ms, naive p95 {p95(all_naive):.1f} ms,"
            f" ratio {p95(all_naive) / p95(all_words):.0f}x"
        )
        vectors = [
            corpus.vector(corpus.rng.randrange(TOPICS), noise=0.03) for _ in range(RUNS)
        ]
        it = iter(vectors)
        ours = await timed(lambda: meaning(storage, next(it)), RUNS)
        it = iter(vectors[:NAIVE_RUNS])
        slow = await timed(lambda: naive_meaning(storage, next(it)), NAIVE_RUNS)
        found = await meaning(storage, vectors[0])
        print(
            f"  MEANING (window {RELATED_WINDOW:,}): p95 {p95(ours):.1f} ms, naive full scan "
            f"p95 {p95(slow):.1f} ms, ratio {p95(slow) / p95(ours):.0f}x; "
            f"median {statistics.median(ours) * 1000:.1f} ms; {len(found)} related found"
        )
        if storage._engine.dialect.name == "sqlite":
            storage._fts5 = False
            parsed = [parse_search(t) for t in kinds["topic word"]]
            it = iter(parsed)
            scan = await timed(lambda: storage.search_briefs(CHAT, next(it), 10), len(parsed))
            print(f"  words without FTS5 (window scan), topic word: p95 {p95(scan):.1f} ms")
    finally:
        await storage.close()


async def real_model() -> None:
    try:
        from bench.dedup_threshold import CORPUS, load
        from bot.core.models import Brief
        from bot.core.search import unpack
        from bot.dedup_embedding import EmbeddingDeduper

        deduper = EmbeddingDeduper()
        await deduper.embed_query("warm up")
    except Exception as exc:  # the model is optional for this bench
        print(f"\nreal MiniLM not available ({exc}); skipped")
        return
    words = ["kursk", "interest rates", "ukraine football", "black friday", "wildfires"] * 4
    times = []
    for i, w in enumerate(words):
        start = time.perf_counter()
        await deduper.embed_query(f"{w} {i}")  # distinct texts: no cache hits
        times.append(time.perf_counter() - start)
    print(f"\nreal MiniLM: query embedding p95 {p95(times):.1f} ms ({len(words)} queries)")
    stories = [s for p in sorted(CORPUS.glob("*.xml")) for s in load(p.name)][:300]
    briefs = [
        Brief(i, s.key, s.feed_id, s.title, s.summary, s.link, "", s.published)
        for i, s in enumerate(stories)
    ]
    vectors = np.stack(await deduper.embed_briefs(briefs))
    restored = unpack([pack(v) for v in vectors], vectors.shape[1])
    error = np.abs(restored @ restored.T - vectors @ vectors.T)
    print(
        f"int8 storage on {len(briefs)} real headlines + leads: cosine error max {error.max():.4f},"
        f" mean {error.mean():.4f} ({vectors.shape[1]} bytes a brief)"
    )


async def main(briefs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'search.db'}"
        await run("SQLite (FTS5)", url, Corpus(briefs))
    with postgres_server() as url:
        await run("PostgreSQL (GIN to_tsvector)", url, Corpus(briefs))
    await real_model()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().briefs))
