"""Keyword-alert matching: the token index (``AlertIndex``) against a plain substring scan.

1,000 alerts (one per chat, 1,000 chats) are matched against 10,000 stories built from the real
feed captures in ``/work/shared/corpora/news-feeds`` (headline + summary + article text, each
copy made unique with an extra token). Alerts use words and two-word phrases from the same
texts, from rare to common, with ``OR`` and ``-exclusions`` mixed in. The baseline normalises
each story once and then tests every alert's phrases with ``in`` on the padded text, which is
what the first ``AlertIndex`` did (minus re-normalising per alert). Both must find exactly the
same matches; the script checks that before printing the figures.

Run: ``PYTHONPATH=. python bench/alerts.py [--stories 10000] [--alerts 1000]``
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.core.alerts import MAX_TEXT_CHARS, AlertIndex, Query, normalize, parse_query
from bot.core.models import ChatRef, Platform
from bot.core.text import plain_text
from bot.feeds.parse import parse_bytes

CORPUS = Path("/work/shared/corpora/news-feeds")


def corpus_texts() -> list[str]:
    texts = []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for path in sorted(CORPUS.glob("*.xml")):
        parsed = parse_bytes(path.stem, path.read_bytes(), {}, f"https://x/{path.name}", now)
        for s in parsed.stories:
            texts.append("\n".join([s.title, s.summary, plain_text(s.content_html)]))
    return texts


def make_alerts(texts: list[str], count: int, rng: random.Random) -> list[str]:
    docs = [normalize(t).split() for t in texts]
    df = Counter(w for d in docs for w in dict.fromkeys(d))
    n = len(docs)
    words = [w for w, c in df.items() if len(w) >= 4 and not w.isdigit() and c / n < 0.2]
    rare = [w for w in words if df[w] <= 3]
    mid = [w for w in words if 3 < df[w] <= n * 0.02]
    common = [w for w in words if df[w] > n * 0.02]
    phrases = [f'"{d[i]} {d[i + 1]}"' for d in docs for i in range(0, len(d) - 1, 37)]

    def term() -> str:
        roll = rng.random()
        pool = rare if roll < 0.3 else mid if roll < 0.75 else common
        return rng.choice(pool)

    alerts = []
    for _ in range(count):
        shape = rng.random()
        if shape < 0.45:
            parts = [term()]
        elif shape < 0.65:
            parts = [term(), "OR", term(), "OR", term()]
        elif shape < 0.8:
            parts = [rng.choice(phrases), term()] if rng.random() < 0.5 else [rng.choice(phrases)]
        else:
            parts = [term(), term()]
        if rng.random() < 0.25:
            parts.append("-" + term())
        alerts.append(" ".join(parts))
    return alerts


def make_stories(texts: list[str], count: int) -> list[str]:
    return [f"{texts[i % len(texts)]} story{i}" for i in range(count)]


class SubstringScan:
    """The baseline: every alert tested against every story with ``in``."""

    def __init__(self, alerts: list[tuple[ChatRef, str]]) -> None:
        self._entries: list[tuple[ChatRef, Query]] = [(c, parse_query(q)) for c, q in alerts]

    def match(self, text: str) -> dict[ChatRef, tuple[str, ...]]:
        padded = f" {normalize(text[:MAX_TEXT_CHARS])} "
        hits: dict[ChatRef, tuple[str, ...]] = {}
        for chat, query in self._entries:
            found: list[str] = []
            for group in query.groups:
                if all(f" {p} " in padded for p in group):
                    found.extend(group)
            if found and not any(f" {p} " in padded for p in query.excluded):
                hits[chat] = tuple(dict.fromkeys(hits.get(chat, ()) + tuple(found)))
        return hits


def timed(matcher: AlertIndex | SubstringScan, stories: list[str]) -> tuple[float, list[int]]:
    start = time.perf_counter()
    counts = [len(matcher.match(s)) for s in stories]
    return time.perf_counter() - start, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"corpus {CORPUS} not found", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    texts = corpus_texts()
    queries = make_alerts(texts, args.alerts, rng)
    alerts = [(ChatRef(Platform.TELEGRAM, str(i)), q) for i, q in enumerate(queries)]
    stories = make_stories(texts, args.stories)
    mean_chars = sum(len(s) for s in stories) / len(stories)
    print(
        f"{len(alerts)} alerts in {len(alerts)} chats; {len(stories)} stories "
        f"(from {len(texts)} real feed items, mean {mean_chars:.0f} chars)"
    )
    build = time.perf_counter()
    index = AlertIndex(alerts)
    build = time.perf_counter() - build
    scan = SubstringScan(alerts)
    t_index, hits_index = timed(index, stories)
    t_scan, hits_scan = timed(scan, stories)
    if hits_index != hits_scan:
        print("MISMATCH between the index and the scan", file=sys.stderr)
        return 1
    matched = sum(1 for h in hits_index if h)
    print(f"matches: {sum(hits_index)} (chat, story) pairs; {matched} stories matched an alert")
    print(
        f"token index   : {len(stories) / t_index:10.0f} stories/s  ({t_index:.2f} s; "
        f"built in {build * 1000:.0f} ms)"
    )
    print(f"substring scan: {len(stories) / t_scan:10.0f} stories/s  ({t_scan:.2f} s)")
    print(f"ratio index/scan: {t_scan / t_index:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
