"""The Telegram renderer: pure functions, checked against the same entity parser as the fake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.telegram_bot import render
from bot.core.models import Brief, Reply
from tests.fakes import T0
from tests.telegram import tg_html


def brief(**kw: object) -> Brief:
    fields: dict[str, object] = {
        "id": 7,
        "story_key": "k",
        "feed_id": "world",
        "title": "Troops push into Kursk",
        "summary": "Up to 1,000 troops crossed. Fighting continued on Thursday.",
        "link": "https://news.example/a?x=1&y=2",
        "source": "Sky News",
        "published": T0 - timedelta(hours=2),
    }
    fields.update(kw)
    return Brief(**fields)  # type: ignore[arg-type]


def visible(message: render.Rendered) -> str:
    text, _, _ = tg_html.parse(message.html)
    assert text == message.plain  # the plain twin is exactly what Telegram shows
    return text


def test_a_brief_has_bold_linked_headline_summary_and_italic_footer() -> None:
    out = render.brief(brief(also_sources=("BBC", "Reuters")), T0)
    assert out.html == (
        '<b><a href="https://news.example/a?x=1&amp;y=2">Troops push into Kursk</a></b>\n'
        "Up to 1,000 troops crossed. Fighting continued on Thursday.\n"
        "<i>Sky News · 2 h ago · also BBC, Reuters</i>"
    )
    assert visible(out).startswith("Troops push into Kursk\n")
    assert out.preview_url == "https://news.example/a?x=1&y=2"
    assert out.buttons == ()


def test_every_feed_string_is_escaped() -> None:
    out = render.brief(
        brief(
            title='<script>alert("x")</script> & co',
            summary="a < b > c & d </b>",
            source="<i>Evil</i>",
            link='https://x.example/"><b>',
        ),
        T0,
    )
    text, links, tags = tg_html.parse(out.html)
    assert tags == ["b", "a", "i"]
    assert links == ['https://x.example/"><b>']
    assert '<script>alert("x")</script> & co' in text and "a < b > c & d </b>" in text


def test_a_link_that_is_not_http_is_not_linked() -> None:
    out = render.brief(brief(link="javascript:alert(1)"), T0)
    assert "<a " not in out.html and out.html.startswith("<b>Troops")


def test_alert_prefix_names_every_matched_alert() -> None:
    out = render.brief(brief(), T0, alert_terms=("kursk", "sudzha"))
    assert visible(out).startswith('Alert "kursk", "sudzha": Troops push into Kursk\n')
    assert out.html.startswith('Alert "kursk", "sudzha": <b>')


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert render.utf16_len("a🚀é") == 4
    assert render.utf16_len("a🚀é") == tg_html.utf16_len("a🚀é")


@pytest.mark.parametrize("unit", ["🚀", "é", "&", "<"])
def test_a_long_summary_is_cut_after_a_whole_sentence_within_4096(unit: str) -> None:
    sentence = f"The {unit * 3} report says the front moved again on Tuesday. "
    out = render.brief(brief(summary=sentence * 400), T0)
    text = visible(out)
    assert render.utf16_len(text) <= render.TEXT_LIMIT
    assert render.utf16_len(text) > render.TEXT_LIMIT - render.utf16_len(sentence) - 40
    _, body, foot = text.split("\n")
    assert body.endswith("on Tuesday.") and foot.startswith("Sky News")


def test_a_single_giant_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    out = render.brief(brief(summary="word " * 3000), T0)
    body = visible(out).split("\n")[1]
    assert body.endswith("word…")
    assert render.utf16_len(visible(out)) <= render.TEXT_LIMIT


def test_sentence_ends_skip_abbreviations_and_decimals() -> None:
    text = "Prices rose 3.5 percent, e.g. in Kyiv. Then they fell."
    assert render.trim_sentences(text, 45) == "Prices rose 3.5 percent, e.g. in Kyiv."
    assert render.trim_sentences(text, 200) == text
    assert render.trim_sentences("短い。長い文です。", 4) == "短い。"


def test_a_huge_headline_is_clipped() -> None:
    out = render.brief(brief(title="Breaking " * 200), T0)
    headline = visible(out).split("\n")[0]
    assert render.utf16_len(headline) <= render.HEADLINE_LIMIT and headline.endswith("…")


def test_buttons_read_and_unsubscribe_but_not_for_alerts() -> None:
    row = render.brief(brief(), T0, buttons=True).buttons
    assert row == (
        (
            render.Button("Read", url="https://news.example/a?x=1&y=2"),
            render.Button("Unsubscribe", data="unsub:world"),
        ),
    )
    alert = render.brief(brief(), T0, buttons=True, alert_terms=("kursk",)).buttons
    assert alert == ((render.Button("Read", url="https://news.example/a?x=1&y=2"),),)
    too_long = render.brief(brief(feed_id="f" * 63), T0, buttons=True).buttons
    assert [b.label for b in too_long[0]] == ["Read"]


def test_a_digest_is_split_at_story_lines_most_covered_first() -> None:
    items = [
        brief(id=i, title=f"Story {i} <x>", summary=f"Sentence {i} " * 60 + ". Second.")
        for i in range(40)
    ]
    items[25] = brief(id=25, title="Big one", also_sources=("BBC", "AP"), summary="Wide. More.")
    parts = render.digest("Your 08:00 briefing: 40 stories", items)
    assert len(parts) > 1
    texts = [visible(p) for p in parts]
    assert all(render.utf16_len(t) <= render.TEXT_LIMIT for t in texts)
    assert texts[0].startswith("Your 08:00 briefing: 40 stories\n• Big one — Wide.\n")
    lines = [line for t in texts for line in t.split("\n")][1:]
    assert len(lines) == 40 and all(line.startswith("• ") for line in lines)
    assert parts[0].html.startswith("<b>Your 08:00 briefing: 40 stories</b>\n• <a href=")


def test_a_reply_packs_text_and_briefs_under_the_limit() -> None:
    answer = Reply("The latest 20 stories:", briefs=tuple(brief(id=i) for i in range(20)))
    parts = render.reply(answer, T0)
    texts = [visible(p) for p in parts]
    assert all(render.utf16_len(t) <= render.TEXT_LIMIT for t in texts)
    assert texts[0].startswith("The latest 20 stories:\n\nTroops push into Kursk\n")
    assert sum(t.count("Troops push into Kursk") for t in texts) == 20


def test_a_long_reply_text_is_split_at_lines_and_choices_become_buttons() -> None:
    answer = Reply("\n".join(f"feed-{i}: Feed <{i}>" for i in range(500)), choices=("/latest",))
    parts = render.reply(answer, T0)
    assert len(parts) > 1
    assert all(render.utf16_len(visible(p)) <= render.TEXT_LIMIT for p in parts)
    assert "\n".join(p.plain for p in parts) == answer.text
    assert parts[-1].buttons == ((render.Button("/latest", data="cmd:/latest"),),)
    assert all(p.buttons == () for p in parts[:-1])


def test_subscribe_offer_round_trips_its_url() -> None:
    url = "https://blog.example/feed?a=1&b=<2>"
    offer = render.subscribe_offer(url)
    assert render.offered_url(visible(offer)) == url
    assert render.offered_url("something else") is None
