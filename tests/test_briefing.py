"""``ModelSummarizer`` and the text it gives the summariser (lead method: no model needed)."""

from __future__ import annotations

from dataclasses import replace

from bot.adapters.telegram_bot import render
from bot.briefing import ModelSummarizer, story_text
from bot.core.models import Brief
from tests.fakes import T0, make_story


def test_story_text_prefers_the_fullest_body_and_never_the_headline() -> None:
    story = make_story(1, summary="Short teaser.")
    assert story_text(story) == "Short teaser."
    full = replace(story, content_html="<p>" + "A longer body sentence. " * 5 + "</p>")
    assert story_text(full) == full.content_html
    assert story_text(replace(story, summary="")) == ""


async def test_a_headline_only_story_becomes_a_headline_brief() -> None:
    story = make_story(1, summary="", title="Troops cross the border near Sudzha")
    (made,) = await ModelSummarizer("lead", model=None, max_words=60).summarize([story])
    assert made.title == "Troops cross the border near Sudzha" and made.summary == ""
    item = Brief(1, story.key, "f", made.title, made.summary, story.link, "Site", T0)
    lines = render.brief(item, T0).plain.split("\n")
    assert lines[0] == "Troops cross the border near Sudzha" and len(lines) == 2  # + footer


async def test_a_story_with_a_teaser_is_summarised_from_it() -> None:
    story = make_story(1, summary="Officials said the governor ordered an evacuation on Tuesday.")
    (made,) = await ModelSummarizer("lead", model=None, max_words=60).summarize([story])
    assert made.summary == "Officials said the governor ordered an evacuation on Tuesday."
