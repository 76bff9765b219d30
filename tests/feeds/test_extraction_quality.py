"""Extraction quality on the shared article-page corpus, with thresholds set a little under
what ``bench/extraction.py`` measured (kept 246/256 must-include snippets = 0.961, dropped
83/87 must-exclude = 0.954 and 24/24 comment snippets, mean token F1 0.970, median 0.990)."""

from __future__ import annotations

import statistics

from bench.extraction import baseline, evaluate, newsbrief
from tests.feeds.conftest import corpus


def test_article_extraction_keeps_the_story_and_drops_the_boilerplate() -> None:
    pages = corpus("article-pages")
    ours = evaluate("newsbrief", newsbrief, pages)
    plain = evaluate("baseline", baseline, pages)
    assert ours.pages == 88 and ours.failed == 0
    assert ours.include_share >= 0.93
    assert ours.exclude_share >= 0.90
    assert ours.comments_dropped == ours.comments_total
    assert ours.f1 and statistics.fmean(ours.f1) >= 0.94 and statistics.median(ours.f1) >= 0.97
    # ...and it is the extraction that does it: all visible text scores far worse.
    assert plain.exclude_share < 0.5 and ours.mean_f1 > plain.mean_f1 + 0.25
