"""Tuning the near-duplicate threshold of ``EmbeddingDeduper`` on real feed items.

Hand-labelled pairs of items from the captures in ``/work/shared/corpora/news-feeds``: SAME
pairs report one event (a reader who saw one gains nothing from the other), DIFFERENT pairs are
the hardest negatives found (same topic, same day, different story). The pairs were picked by
listing the highest-scoring pairs across feeds of the same dates, then labelled by reading them.
For each pair the script prints the cosine of headline + lead (what the deduper uses) and, as
the baseline, of the headline alone; then precision and recall at several thresholds.

Run: ``HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/dedup_threshold.py``
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.core.models import Brief, Story
from bot.dedup_embedding import EmbeddingDeduper
from bot.feeds.parse import parse_bytes

CORPUS = Path("/work/shared/corpora/news-feeds")
Item = tuple[str, str]  # (file, words in the headline)

SAME: list[tuple[Item, Item]] = [
    (("npr-news-2023.xml", "Oscar Pistorius"), ("nyt-homepage-2023.xml", "Oscar Pistorius")),
    (("guardian-us.xml", "Stormy Daniels on Jimmy"), ("guardian-us.xml", "Porn actor Stormy")),
    (
        ("cnn-topstories-2018.xml", "orders troops from Syria"),
        ("cnn-topstories-2018.xml", "withdrawal from Syria"),
    ),
    (("nyt-world-2020.xml", "Returns to Beirut"), ("nyt-world-2020.xml", "Ghosn’s Escape")),
    (("cnn-world-2019.xml", "Ghosn flee Japan"), ("nyt-world-2020.xml", "Ghosn’s Escape")),
    (
        ("cnn-topstories-2018.xml", "GOP drafts short-term"),
        ("cnn-topstories-2018.xml", "McConnell introduces"),
    ),
    (("cnn-world-2019.xml", "See New Year's Eve"), ("nyt-world-2020.xml", "Pictures From Around")),
    (
        ("npr-news-2023.xml", "clashes break out in Dublin"),
        ("nyt-homepage-2023.xml", "Dublin Violence"),
    ),
    (
        ("cnn-world-2019.xml", "Australia's deadly wildfires"),
        ("nyt-world-2020.xml", "Fires in Australia Are So Bad"),
    ),
    (
        ("cnn-world-2019.xml", "Australia's deadly wildfires"),
        ("nyt-world-2020.xml", "Thousands Flee to Shore"),
    ),
    (("reuters-world-2018.xml", "Rocky Syria talks"), ("guardian-us.xml", "Syrian peace talks")),
    (("cnn-world-2019.xml", "Hostile US policy"), ("nyt-world-2020.xml", "No Longer Bound")),
]
DIFFERENT: list[tuple[Item, Item]] = [
    (("npr-news-2023.xml", "Black Friday mystery"), ("nyt-homepage-2023.xml", "Black Friday Isn")),
    (("npr-news-2023.xml", "Black Friday mystery"), ("nyt-homepage-2023.xml", "Travels Sales")),
    (
        ("nyt-world-2020.xml", "American Airstrikes Rally"),
        ("nyt-world-2020.xml", "U.S. Launches Airstrikes"),
    ),
    (("nyt-world-2020.xml", "No Longer Bound"), ("nyt-world-2020.xml", "Offensive Measures")),
    (("guardian-us.xml", "promised unity"), ("guardian-us.xml", "how did conservatives")),
    (
        ("nyt-world-2020.xml", "Iraq, Carlos Ghosn, New Year"),
        ("nyt-world-2020.xml", "Xinjiang, 7-Eleven"),
    ),
    (("cnn-world-2019.xml", "Proxy war"), ("nyt-world-2020.xml", "Focus of Iraqis")),
    (
        ("nyt-world-2020.xml", "Protesters Attack U.S. Embassy"),
        ("nyt-world-2020.xml", "Swarm U.S. Embassy Again"),
    ),
    (("cnn-world-2019.xml", "Refinance today"), ("cnn-world-2019.xml", "Hack your mortgage")),
    (
        ("reuters-world-2018.xml", "busy market in Idlib"),
        ("reuters-world-2018.xml", "Turkish convoy"),
    ),
    (("cnn-world-2019.xml", "See New Year's Eve"), ("cnn-world-2019.xml", "10 great places")),
    (
        ("cnn-topstories-2018.xml", "raises rates"),
        ("cnn-topstories-2018.xml", "What to expect from the Fed"),
    ),
]
THRESHOLDS = [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85]


def load(name: str) -> list[Story]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    body = (CORPUS / name).read_bytes()
    return list(parse_bytes(name, body, {}, f"https://x/{name}", now).stories)


def find(cache: dict[str, list[Story]], item: Item) -> Story:
    name, words = item
    if name not in cache:
        cache[name] = load(name)
    return next(s for s in cache[name] if words in s.title)


def brief(story: Story, *, lead: bool) -> Brief:
    summary = story.summary if lead else ""
    return Brief(1, story.key, story.feed_id, story.title, summary, story.link, "", story.published)


def table(name: str, same: list[float], different: list[float]) -> float:
    """Prints precision/recall per threshold; returns the recall at the lowest threshold with
    precision 1.0."""
    print(f"\n{name}: threshold  precision  recall")
    best = 0.0
    for t in THRESHOLDS:
        tp = sum(s >= t for s in same)
        fp = sum(d >= t for d in different)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / len(same)
        if precision == 1.0:
            best = max(best, recall)
        print(f"  {t:.2f}  {precision:9.2f}  {recall:6.2f}")
    return best


async def measure() -> int:
    deduper = EmbeddingDeduper()
    cache: dict[str, list[Story]] = {}
    scores: dict[str, dict[bool, list[float]]] = {"lead": {True: [], False: []}}
    scores["title"] = {True: [], False: []}
    print("label      lead  title  pair")
    for label, pairs in ((True, SAME), (False, DIFFERENT)):
        for a_item, b_item in pairs:
            a, b = find(cache, a_item), find(cache, b_item)
            [with_lead] = await deduper.scores(a, [brief(b, lead=True)])
            bare_a = Story(a.feed_id, a.key, a.guid, a.link, a.title, a.published)
            [title_only] = await deduper.scores(bare_a, [brief(b, lead=False)])
            scores["lead"][label].append(with_lead)
            scores["title"][label].append(title_only)
            tag = "SAME" if label else "DIFFERENT"
            print(f"{tag:9s}  {with_lead:.3f}  {title_only:.3f}  {a.title[:45]} | {b.title[:45]}")
    lead = table("headline + lead (used)", scores["lead"][True], scores["lead"][False])
    title = table("headline only (baseline)", scores["title"][True], scores["title"][False])
    print(f"\nrecall at precision 1.0: headline + lead {lead:.2f}, headline only {title:.2f}")
    worst_negative = max(scores["lead"][False])
    print(
        f"highest DIFFERENT score (headline + lead): {worst_negative:.3f}; "
        f"default threshold {deduper.threshold}"
    )
    return 0


def main() -> int:
    if not CORPUS.exists():
        print(f"corpus {CORPUS} not found", file=sys.stderr)
        return 2
    return asyncio.run(measure())


if __name__ == "__main__":
    raise SystemExit(main())
