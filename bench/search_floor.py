"""Choosing the similarity floor of ``/latest <words>``'s related-by-meaning fill.

A search query is a few words, embedded once and compared by cosine with each stored brief's
headline + lead (``bot.core.search``). The floor must let through briefs on the query's topic
and keep out the rest. The labelled pairs of ``bench/dedup_threshold.py`` give both:

- every pair there, SAME or DIFFERENT, is two items on one topic (DIFFERENT pairs are "same
  topic, same day, different story"), and each item is named by a few words of its headline
  (``"Oscar Pistorius"``, ``"Black Friday mystery"``). Those words are a realistic query: the
  score of one item's words against the *other* item of its pair is a query-to-related-brief
  score (RELATED);
- the same words against every item of the seven captures that is in neither side of any pair
  on that topic are, overwhelmingly, unrelated briefs (BACKGROUND). A few background items do
  share the topic (the captures hold several Syria and Ghosn stories), so its top tail is an
  upper bound on unrelated scores.

The script prints both distributions and, per candidate floor, the share of RELATED kept and of
BACKGROUND let through.

Run: ``HF_HUB_OFFLINE=1 PYTHONPATH=. python bench/search_floor.py``
"""

from __future__ import annotations

import asyncio
import sys

import numpy as np

from bench.dedup_threshold import CORPUS, DIFFERENT, SAME, find, load
from bot.core.models import Brief, Story
from bot.dedup_embedding import EmbeddingDeduper

FLOORS = [0.25, 0.3, 0.35, 0.4, 0.45, 0.5]


def as_brief(story: Story) -> Brief:
    return Brief(
        1, story.key, story.feed_id, story.title, story.summary, story.link, "", story.published
    )


async def measure() -> int:
    deduper = EmbeddingDeduper()
    cache: dict[str, list[Story]] = {}
    pairs = SAME + DIFFERENT
    related: list[float] = []
    background: list[float] = []
    files = sorted({item[0] for pair in pairs for item in pair})
    everything = [s for name in files for s in load(name)]
    for a_item, b_item in pairs:
        a, b = find(cache, a_item), find(cache, b_item)
        for query, other in ((a_item[1], b), (b_item[1], a)):
            [score] = await deduper.query_scores(query, [as_brief(other)])
            related.append(score)
            print(f"RELATED     {score:.3f}  {query!r} ~ {other.title[:60]}")
        topic = {a.title, b.title}
        for p, q in pairs:  # items of any pair sharing a member with this one: same topic
            pa, pb = find(cache, p), find(cache, q)
            if topic & {pa.title, pb.title}:
                topic |= {pa.title, pb.title}
        others = [as_brief(s) for s in everything if s.title not in topic]
        scores = await deduper.query_scores(a_item[1], others)
        background += scores
        top = max(range(len(others)), key=scores.__getitem__)
        print(f"BACKGROUND  {scores[top]:.3f}  {a_item[1]!r} ~ {others[top].title[:60]} (top)")
    rel, bg = np.array(related), np.array(background)
    print(f"RELATED    n={len(rel):5d}  min {rel.min():.3f}  p10 {np.percentile(rel, 10):.3f}")
    print(
        f"BACKGROUND n={len(bg):5d}  p50 {np.percentile(bg, 50):.3f}  "
        f"p99 {np.percentile(bg, 99):.3f}  p99.9 {np.percentile(bg, 99.9):.3f}  max {bg.max():.3f}"
    )
    print("floor  related kept  background let through")
    for floor in FLOORS:
        print(f"{floor:5.2f}  {np.mean(rel >= floor):12.2f}  {np.mean(bg >= floor):22.4f}")
    return 0


def main() -> int:
    if not CORPUS.exists():
        print(f"corpus {CORPUS} not found", file=sys.stderr)
        return 2
    return asyncio.run(measure())


if __name__ == "__main__":
    raise SystemExit(main())
