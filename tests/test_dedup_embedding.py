"""``EmbeddingDeduper`` on a small stand-in for MiniLM: what text it embeds, the cache of
vectors, the threshold decision, and the shortcuts that need no model run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import numpy.typing as npt
import pytest

from bot.core.alerts import normalize
from bot.core.models import Brief, Story
from bot.dedup_embedding import MAX_TOKENS, EmbeddingDeduper, build_deduper, story_text
from summarizer.encoder import SentenceEncoder
from tests.fakes import T0, make_story

AXES = {"bridge": 0, "river": 0, "span": 0, "army": 1, "troops": 1, "match": 2, "goal": 2}


class ToyEncoder:
    """Counts topic words on three axes (plus a small constant one); records each call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.max_tokens: int | None = None

    def sharing(self, *, max_tokens: int) -> ToyEncoder:
        self.max_tokens = max_tokens
        return self

    def encode(self, sentences: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(sentences))
        rows = np.zeros((len(sentences), 4), np.float32)
        rows[:, 3] = 0.2
        for i, text in enumerate(sentences):
            for word in normalize(text).split():
                if word in AXES:
                    rows[i, AXES[word]] += 1.0
        unit: npt.NDArray[np.float32] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
        return unit


def _deduper(threshold: float = 0.75, **kw: int) -> tuple[EmbeddingDeduper, ToyEncoder]:
    toy = ToyEncoder()
    return EmbeddingDeduper(threshold, encoder=cast(SentenceEncoder, toy), **kw), toy


def _brief(n: int, title: str, summary: str = "") -> Brief:
    return Brief(n, f"k{n}", "f", title, summary, f"https://news.example/{n}", "F", T0)


def _story(title: str, summary: str) -> Story:
    return make_story(1, title=title, summary=summary)


def test_story_text_is_the_headline_and_the_first_words_of_the_summary() -> None:
    assert story_text("  Bridge reopens ", "one two three four", 2) == "Bridge reopens. one two"
    assert story_text("Bridge reopens", "   ", 30) == "Bridge reopens"


def test_the_encoder_is_shared_with_the_dedup_token_limit() -> None:
    _, toy = _deduper()
    assert toy.max_tokens == MAX_TOKENS


async def test_same_story_takes_the_best_candidate_at_or_above_the_threshold() -> None:
    deduper, _ = _deduper(0.75)
    story = _story("River bridge to reopen", "The bridge span was repaired.")
    candidates = [
        _brief(1, "Army moves troops", "Troops and army units."),
        _brief(2, "Span over the river fixed", "Bridge works end."),
        _brief(3, "Cup match ends", "A late goal."),
    ]
    assert await deduper.same_story(story, candidates) == 2
    scores = await deduper.scores(story, candidates)
    assert scores[1] > 0.95 and max(scores[0], scores[2]) < 0.2


async def test_a_story_below_the_threshold_is_a_new_story() -> None:
    deduper, _ = _deduper(0.75)
    story = _story("Bridge and army", "Troops on the river.")
    # Half bridge, half army: about 0.7 from either pure candidate.
    candidates = [_brief(1, "Bridge river span"), _brief(2, "Army troops")]
    scores = await deduper.scores(story, candidates)
    assert all(0.5 < s < 0.75 for s in scores), scores
    assert await deduper.same_story(story, candidates) is None
    stricter, _ = _deduper(0.5)
    assert await stricter.same_story(story, candidates) in (1, 2)


async def test_an_identical_headline_matches_without_running_the_model() -> None:
    deduper, toy = _deduper()
    story = _story("Bridge Reopens!", "Anything at all.")
    candidates = [_brief(4, "Army moves"), _brief(5, "bridge reopens")]
    assert await deduper.same_story(story, candidates) == 5
    assert await deduper.same_story(story, []) is None
    assert toy.calls == []


async def test_a_headline_of_only_punctuation_is_not_an_identical_headline() -> None:
    deduper, toy = _deduper()
    story = _story("!!!", "Troops and army units.")
    assert await deduper.same_story(story, [_brief(1, "???", "A late goal.")]) is None
    assert len(toy.calls) == 1  # it was compared by meaning instead


async def test_vectors_are_cached_by_text_and_the_cache_is_bounded() -> None:
    deduper, toy = _deduper(cache_size=2)
    a, b, c = _brief(1, "Bridge"), _brief(2, "Army"), _brief(3, "Match")
    await deduper.embed_briefs([a, b])
    await deduper.embed_briefs([a, b, a])
    assert toy.calls == [["Bridge", "Army"]]  # the second call ran no model
    await deduper.embed_briefs([c])  # evicts the least recently used: "Army"
    await deduper.embed_briefs([a])  # still cached
    await deduper.embed_briefs([b])
    assert toy.calls == [["Bridge", "Army"], ["Match"], ["Army"]]


async def test_query_vectors_and_scores() -> None:
    deduper, toy = _deduper()
    assert await deduper.query_scores("bridge", []) == []
    assert await deduper.embed_briefs([]) == []
    assert toy.calls == []  # nothing to compare: no model run
    vector = await deduper.embed_query("river bridge")
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0)
    scores = await deduper.query_scores("bridge", [_brief(1, "River span"), _brief(2, "Goal")])
    assert scores[0] > 0.95 and scores[1] < 0.1


async def test_a_story_without_a_summary_is_compared_by_its_article_text() -> None:
    deduper, toy = _deduper()
    story = Story(
        "f",
        "https://news.example/x",
        "",
        "https://news.example/x",
        "Update",
        T0,
        content_html="<p>The army sent <b>troops</b> north.</p>",
    )
    await deduper.scores(story, [_brief(1, "Army")])
    assert toy.calls == [["Update. The army sent troops north.", "Army"]]


def test_the_threshold_one_turns_merging_off() -> None:
    toy = cast(SentenceEncoder, ToyEncoder())
    assert build_deduper(1.0, toy) is None
    deduper = build_deduper(0.8, toy)
    assert deduper is not None and deduper.threshold == 0.8
