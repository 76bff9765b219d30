"""Headline and text cleaning: synthetic cases for each rule, then the real corpora."""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET

import pytest
from summarizer_testdata import shared_path

from summarizer import clean_text, clean_title, split_sentences
from summarizer.clean import repeats_headline
from summarizer.markup import html_to_paragraphs
from summarizer.sentences import ends_sentence


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ukraine pushes into Kursk | Sky News", "Ukraine pushes into Kursk"),
        ("Floods hit Wales - BBC News", "Floods hit Wales"),
        ("Markets rally — The Guardian", "Markets rally"),
        ("Tom &amp; Jerry&#39;s &quot;return&quot;", 'Tom & Jerry\'s "return"'),
        ("Double &amp;amp; escaped", "Double & escaped"),
        ("  <b>Bold</b>   claim\n here ", "Bold claim here"),
        ("VIDEO: Rescue at sea", "Rescue at sea"),
        ("Apple unveils phone - and it's pricey", "Apple unveils phone - and it's pricey"),
        ("Trump attacks press - and the Times", "Trump attacks press - and the Times"),
        ("Rates rise - reuters.com", "Rates rise"),
        ("Ceasefire talks resume - live updates", "Ceasefire talks resume - live updates"),
        ("BBC News", "BBC News"),
        ("", ""),
    ],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


def test_daily_mail_byline_and_stamps_are_removed() -> None:
    text = (
        "By . Daily Mail Reporter . PUBLISHED: . 10:51 EST, 2 May 2014 . | . UPDATED: . "
        "11:02 EST, 2 May 2014 . A man has been jailed for stealing a bus. He drove it home."
    )
    assert clean_text(text) == "A man has been jailed for stealing a bus. He drove it home."


@pytest.mark.parametrize(
    "prefix",
    [
        "(CNN)",
        "New Delhi, India (CNN)",
        "WASHINGTON (Reuters) - ",
        "( cnn ) ",
        "LONDON — ",
        "By John Smith, CNN ",
        "By Jane Doe and John Roe | ",
    ],
)
def test_datelines_and_bylines_are_removed_from_the_start(prefix: str) -> None:
    assert clean_text(prefix + "The vote was delayed. Talks go on.") == (
        "The vote was delayed. Talks go on."
    )


def test_glued_image_captions_are_dropped() -> None:
    text = (
        "Gary Locke will be confirmed as manager on Friday. Kilmarnock will confirm Gary Locke "
        "as the club's new permanent manager on Friday ‘I’d be over the moon to get it as it’s "
        "something I’ve worked hard towards,’ said Locke. Fighter ace: Douglas Bader's story is "
        "to be told in a film dubbed ‘The First Great Escape’ The story of how he escaped is "
        "remarkable."
    )
    assert split_sentences(clean_text(text)) == [
        "Gary Locke will be confirmed as manager on Friday.",
        "‘I’d be over the moon to get it as it’s something I’ve worked hard towards,’ said Locke.",
        "The story of how he escaped is remarkable.",
    ]


def test_nicknames_and_titles_in_quotes_are_not_taken_for_captions() -> None:
    text = (
        "Reality star June Shannon and her estranged husband Mike 'Sugar Bear' Thompson have "
        "filed a report. He read his latest 'How Did We Get Here?' column aloud."
    )
    assert clean_text(text) == text


@pytest.mark.parametrize(
    "furniture",
    [
        "Scroll down for video",
        "Please use Chrome browser for a more accessible video player",
        "Media playback is unsupported on your device",
        "Follow us on Twitter @BBCNewsEnts, on Instagram at bbcnewsents.",
        "Follow Dave Lee on Twitter @DaveLeeBBC and on Facebook",
        "Subscribe to the BBC Sport newsletter to get our pick of news sent to your inbox.",
        "Sign up for our free daily newsletter.",
        "Install the Sky News app for the latest news.",
        "Download the Guardian app for iOS.",
        "Read more: Germany jolted by AfD success",
        "READ MORE: Why the vote matters",
        "Click here for more on this story and other news from across the North East",
        "Share this article.",
        "The post How primes work first appeared on Quanta Magazine.",
        "2 November 2014 Last updated at 10:11 GMT",
        "Advertisement",
        "Do you have a story for us? Email us.",
    ],
)
def test_prompts_and_page_furniture_are_removed(furniture: str) -> None:
    body = "The council approved the budget on Monday. Spending on roads will rise."
    for text in (f"{furniture}\n{body}", f"{body}\n{furniture}", f"{body} {furniture}"):
        assert clean_text(text) == body


def test_inline_picture_references_are_removed() -> None:
    text = (
        "The boy was rescued from the pit (pictured) before paramedics arrived (Image credit: AP)."
    )
    assert clean_text(text) == "The boy was rescued from the pit before paramedics arrived."


def test_duplicated_headline_is_removed() -> None:
    title = "Troops cross border - BBC News"
    assert clean_text("Troops cross border Troops crossed the border at dawn.", title=title) == (
        "Troops crossed the border at dawn."
    )
    assert clean_text("Troops cross border.\nTroops crossed at dawn.", title=title) == (
        "Troops crossed at dawn."
    )
    assert repeats_headline("Troops cross the border", "Troops cross border")
    assert not repeats_headline("Troops cross the border near Sudzha at dawn on Tuesday", title)


def test_repeated_sentences_are_kept_once() -> None:
    text = "Rain fell all day. Roads flooded.\nRain fell all day."
    assert clean_text(text) == "Rain fell all day. Roads flooded."


def test_html_structure_furniture_and_link_lists_are_dropped() -> None:
    html = (
        "<html><head><title>T</title><script>var x = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        "<article><h1>Storm hits coast</h1><p>A storm hit the coast on Monday, officials "
        "said.</p><figure><img src='x.jpg'><figcaption>Waves at dawn</figcaption></figure>"
        "<div class='share-tools'>Share on Facebook</div><p>Power was cut to 5,000 homes "
        "&amp; schools.</p><p><a href='/a'>Other story one</a> <a href='/b'>Other story "
        "two</a></p></article><footer>© Copyright 2024</footer></body></html>"
    )
    assert clean_text(html, title="Storm hits coast") == (
        "A storm hit the coast on Monday, officials said.\n\nPower was cut to 5,000 homes & "
        "schools."
    )


def test_class_filter_is_not_applied_when_it_would_drop_the_article() -> None:
    html = "<div class='story has-comments'><p>The whole article lives here.</p></div>"
    assert html_to_paragraphs(html) == ["The whole article lives here."]


def test_short_unterminated_text_is_kept_when_it_is_all_there_is() -> None:
    assert clean_text("<p>Qatar brokers hostage release</p>") == "Qatar brokers hostage release"


def test_hard_wrapped_plain_text_is_joined() -> None:
    assert clean_text("The minister said the plan\nwould cost more. It was late.") == (
        "The minister said the plan would cost more. It was late."
    )


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def test_article_pages_keep_the_story_and_drop_furniture() -> None:
    """Whole publisher pages (main-text extraction is the bot's job; this is the safety net)."""
    base = shared_path("corpora", "article-pages")
    kept = wanted = leaked = unwanted = 0
    for line in (base / "index.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        html = (base / page["file"]).read_text(encoding="utf-8", errors="replace")
        text = _normalise(clean_text(html))
        wanted += len(page["must_include"])
        kept += sum(_normalise(s) in text for s in page["must_include"])
        unwanted += len(page["must_exclude"]) + len(page.get("comment_snippets", []))
        leaked += sum(_normalise(s) in text for s in page["must_exclude"])
        leaked += sum(_normalise(s) in text for s in page.get("comment_snippets", []))
    # Measured when written: 238/256 kept, 12/87 must-exclude snippets leaked. Since lines
    # that are not sentences are dropped (tour-date listings, a tweet's sign-off, wire credits,
    # lead-ins ending with a colon): 229/256 kept, 12/87 leaked.
    assert kept / wanted >= 0.88
    assert leaked / unwanted <= 0.15


def test_article_bodies_survive_cleaning() -> None:
    """Snippets of the bodies' prose survive; a snippet from a line that does not end a
    sentence (a listing such as "June 9 -- Harbour Hall, Oslo") may go."""
    base = shared_path("corpora", "article-pages")
    for line in (base / "index.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        if page["body"] is None:
            continue
        text = _normalise(clean_text(page["body"]))
        lines = [_normalise(p) for p in page["body"].splitlines()]
        prose = [
            s
            for s in map(_normalise, page["must_include"])
            if any(s in p and ends_sentence(p) for p in lines)
        ]
        kept = sum(s in text for s in prose)
        assert kept >= len(prose) - 1, page["file"]


FURNITURE_IN_FEEDS = (
    "feedflare",
    "appeared first on",
    "Image credit",
    "Related:",
    "(Reuters) -",
    "feeds.feedburner.com",
    "<",
)


@pytest.mark.parametrize(
    "name",
    [
        "guardian-us.xml",
        "cnn-topstories-2018.xml",
        "reuters-world-2018.xml",
        "quanta-magazine-2023.xml",
        "npr-news-2023.xml",
        "bbc-news-frontpage-2026.xml",
        "nyt-homepage-2023.xml",
    ],
)
def test_feed_items_clean_without_furniture(name: str) -> None:
    root = ET.parse(shared_path("corpora", "news-feeds", name)).getroot()
    content = "{http://purl.org/rss/1.0/modules/content/}encoded"
    items = root.iter("item")
    checked = 0
    for item in items:
        title = clean_title(item.findtext("title") or "")
        assert "&amp;" not in title and "<" not in title and title == title.strip()
        for field in ("description", content):
            raw = item.findtext(field)
            if not raw:
                continue
            text = clean_text(raw, title=title)
            checked += 1
            for marker in FURNITURE_IN_FEEDS:
                assert marker not in text, (name, marker, text)
    assert checked > 0


BODY = "The harbour board approved the new ferry timetable after a long meeting."


@pytest.mark.parametrize(
    "dateline",
    [
        "SANTA FE, N.M. (AP) — ",
        "LONDON (Reuters) - ",
        "LONDON, Nov 5 (Reuters) - ",
        "PARIS (AFP) - ",
        "Paris, France (AFP) — ",
        "WASHINGTON, March 3 (UPI) -- ",
        "NEW YORK — ",
        "SAN FRANCISCO, Calif. — ",
        "BEIJING, Dec. 3 (Xinhua) -- ",
    ],
)
def test_wire_datelines_are_removed(dateline: str) -> None:
    assert clean_text(dateline + BODY) == BODY


def test_dateline_after_a_url_and_headline_line_is_removed() -> None:
    text = f"https://example.org/news/ferry-1234\nFerry timetable approved\nOSLO (AP) — {BODY}"
    assert clean_text(text) == BODY


def test_dateline_only_at_the_start_of_the_article() -> None:
    later = f"{BODY}\nOSLO (AP) — The ferry company welcomed the decision on Friday night."
    assert clean_text(later) == f"{BODY}\n\n{later.split(chr(10))[1]}"
    dash = "NASA said on Monday that the launch — planned for May — was delayed again."
    assert clean_text(dash) == dash


FERRY = "The harbour board approved the winter ferry timetable on Monday."
CREWS = "Crews will start the new rota in November, the board said."


def test_list_items_lose_their_bullet_and_fragments_are_dropped() -> None:
    text = (
        f"{FERRY}\n- Night boat moves to the old pier for the winter months\n"
        f"• The morning run gets two more crossings.\n* Fares stay the same\n{CREWS}"
    )
    assert split_sentences(clean_text(text)) == [
        FERRY,
        "The morning run gets two more crossings.",
        CREWS,
    ]
    dash = f"{FERRY}\n- which the islanders had asked for since the spring of last year."
    assert clean_text(dash) == f"{FERRY}\n\n{dash.splitlines()[1]}"  # a dash, not a bullet


def test_title_case_headlines_and_listings_are_dropped() -> None:
    text = (
        f"{FERRY}\nIsland Festival Adds Second Stage for Its Tenth Summer\n"
        f"June 9 -- Harbour Hall Theatre, Northport, Westshire\n{CREWS}"
    )
    assert clean_text(text) == f"{FERRY}\n\n{CREWS}"


def test_a_line_without_a_sentence_end_in_the_body_is_kept_as_prose() -> None:
    line = "The board also heard from islanders who want a later last sailing on Fridays"
    assert clean_text(f"{FERRY}\n{line}\n{CREWS}") == f"{FERRY}\n\n{line}\n\n{CREWS}"


def test_captions_ending_in_a_credit_are_dropped() -> None:
    for caption in (
        "The new ferry leaves the yard on its first sea trial via Example Labs",
        "Passengers queue at the old pier in the early morning (Getty Images)",
        "The night boat at the quay before its refit Photo: Jane Roe",
    ):
        assert clean_text(f"{FERRY}\n{caption}\n{CREWS}") == f"{FERRY}\n\n{CREWS}", caption


def test_the_headline_block_before_the_first_sentence_end_is_dropped() -> None:
    text = (
        "Harbour board approves winter timetable after a long and heated debate\n"
        "‘It is the best timetable we could afford this year’\n"
        "By Jane Roe, March 3, 2026 10:30 am\n"
        f"{FERRY}\nIslanders asked for a later last sailing in a petition to the board\n{CREWS}"
    )
    assert split_sentences(clean_text(text)) == [
        FERRY,
        "Islanders asked for a later last sailing in a petition to the board",
        CREWS,
    ]


def test_lead_ins_labels_and_trailing_credits_are_dropped() -> None:
    text = (
        f"{FERRY} The board listed its reasons:\n10 p.m.\n"
        f"{CREWS} XYZ\nHe left.\n"
        "The night boat returns in May. Island Festival Adds Second Stage for Summer"
    )
    assert split_sentences(clean_text(text)) == [
        FERRY,
        CREWS,
        "He left.",
        "The night boat returns in May.",
    ]


@pytest.mark.parametrize(
    "furniture",
    [
        "Also on example.com Harbour board faces questions over ferry costs",
        "Like this story? Share it with a friend!",
        "This copy is for your personal, non-commercial use only.",
        "To order presentation-ready copies for distribution visit example.com.",
        "RSVP for our panel on 11/9: What next for the ferries?",
    ],
)
def test_more_prompts_are_removed(furniture: str) -> None:
    assert clean_text(f"{FERRY}\n{furniture}\n{CREWS}") == f"{FERRY}\n\n{CREWS}"


def test_a_party_letter_in_brackets_is_not_a_dateline() -> None:
    text = "Harbour Gov. Jane Roe (R) said the timetable was the best the board could afford."
    assert clean_text(text) == text
