"""The furniture patterns (summarizer.furniture) on invented text: what each removes and the
near misses in ordinary prose that it must leave alone."""

from __future__ import annotations

import pytest

from summarizer import clean_text, furniture


def strip_inline(text: str) -> str:
    for pattern in furniture.INLINE:
        text = pattern.sub(" ", text)
    return " ".join(text.split())


def strip_leading(text: str) -> str:
    for pattern in furniture.LEADING:
        text = pattern.sub("", text, count=1)
    return text


def test_picture_and_credit_notes_are_removed_inline() -> None:
    assert strip_inline("The mayor (pictured, left) spoke.") == "The mayor spoke."
    assert strip_inline("The mayor (not pictured) spoke.") == "The mayor spoke."
    assert strip_inline("The pier (Image credit: Harbour Board) reopened.") == "The pier reopened."
    assert strip_inline("The pier (photos courtesy: J. Doe) reopened.") == "The pier reopened."
    assert strip_inline("The pier (graphic source: survey) reopened.") == "The pier reopened."


def test_ordinary_brackets_are_kept() -> None:
    for text in (
        "The pier (built in 1990) reopened.",
        "The pier (pictured in spring, with seven others and a long list of boats beside it "
        "that goes on and on well beyond eighty characters) reopened.",
    ):
        assert strip_inline(text) == text


def test_video_notices_are_removed_inline() -> None:
    for notice in (
        "Scroll down for videos.",
        "Scroll down for the video",
        "Media playback is not supported on this device",
        "This video cannot be played.",
        "This video can not be played",
        "Please use Chrome browser for a more accessible video player.",
    ):
        assert strip_inline(f"The pier reopened. {notice} Crowds came.") == (
            "The pier reopened. Crowds came."
        ), notice


def test_publication_stamps_are_removed_inline() -> None:
    stamp = "PUBLISHED: 09:15 EST, 3 June 2021 | UPDATED: 10:02 EST, 3 June 2021 "
    assert strip_inline(stamp + "The pier reopened.") == "The pier reopened."
    assert strip_inline("4 June 2021 Last updated at 10:11 GMT The pier") == "The pier"
    # Words alone are not a stamp: a time and a date must follow.
    assert strip_inline("Nothing was PUBLISHED: the report stayed secret.") == (
        "Nothing was PUBLISHED: the report stayed secret."
    )


@pytest.mark.parametrize(
    "dateline",
    ["OSLO (AP) — ", "OSLO, Norway (Reuters) - ", "BERGEN, May 4 (AFP) -- ", "NEW YORK — "],
)
def test_wire_datelines(dateline: str) -> None:
    assert furniture.WIRE_DATELINE.sub("", dateline + "The pier reopened.") == "The pier reopened."


def test_capitalised_openings_that_are_not_datelines() -> None:
    for text in (
        "NATO said on Monday that talks would go on.",  # capitals, but no agency or dash
        "US officials said the pier would reopen.",
        "Oslo (AP) — the city is not in capitals.",
        "OSLO—no space before the dash.",
    ):
        assert furniture.WIRE_DATELINE.sub("", text, count=1) == text


def test_leading_agency_tags_and_bylines() -> None:
    assert strip_leading("(Harbour Weekly) -- The pier reopened.") == "The pier reopened."
    assert strip_leading("Bergen, Norway (CNN) The pier reopened.") == "The pier reopened."
    assert strip_leading("By Anna Berg and Ola Nordmann | The pier reopened.") == (
        "The pier reopened."
    )
    assert strip_leading("By Anna Berg, Harbour Weekly. The pier reopened.") == (
        "The pier reopened."
    )


def test_by_in_prose_is_not_a_byline() -> None:
    for text in (
        "By the time it ended, the pier had reopened.",
        "By noon the pier had reopened.",
    ):
        assert strip_leading(text) == text


def test_an_opening_with_an_abbreviation_in_brackets_is_prose() -> None:
    # Only a known agency may follow a place: a capitalised name in brackets after a few
    # words is an abbreviation or a party, and the sentence must survive whole.
    for text in (
        "The World Health Organization (WHO) said cases rose.",
        "The mayor met Anna Berg (Labour) on Monday.",
        "Shares in Acme (ACME) fell 5% on Monday.",
    ):
        assert strip_leading(text) == text
        assert clean_text(text) == text


def test_leading_patterns_only_apply_at_the_start() -> None:
    text = "The pier reopened after repairs. OSLO (AP) — By Anna Berg and Ola Nordmann | later."
    assert strip_leading(text) == text


@pytest.mark.parametrize(
    "prompt",
    [
        "Follow us on Instagram for more.",
        "Sign up to our free alerts",
        "Get the Harbour News app now",
        "Updated 10 March 2025, 14:05 GMT",
        "Copyright 2025 Example Media",
        "Editor's note: this story was changed.",
        "You have 3 free articles left",
        "Photo: Jane Doe",
        "The post Ferry news appeared first on Harbour Weekly.",
        "Email us at desk@example.org",
        "Already a subscriber? Log in.",
        "Continue reading the main story",
        "All rights reserved.",
    ],
)
def test_prompt_sentences_are_recognised(prompt: str) -> None:
    assert furniture.DROP_SENTENCE.match(prompt)


@pytest.mark.parametrize(
    "prose",
    [
        "Follow the money, investigators said.",
        "Signs of recovery appeared in the data.",
        "Get the best seats early, fans were told.",
        "Updated guidance was published on Monday.",
        "Copyrights expire after 70 years.",
        "Photos show the damage.",
        "Related stories were removed from the site.",
        "Emails show the deal was agreed in May.",
        "Shares fell 5% on Monday.",
        "Advertisements were banned near schools.",
        "The mayor said she would follow us on the matter.",  # prompts match at the start only
    ],
)
def test_prose_that_starts_like_a_prompt_is_kept(prose: str) -> None:
    assert not furniture.DROP_SENTENCE.match(prose)


def test_drop_sentence_ignores_case() -> None:
    assert furniture.DROP_SENTENCE.match("READ MORE about the ferry")
    assert furniture.DROP_SENTENCE.match("share this article")


def test_caption_labels() -> None:
    assert furniture.CAPTION_LABEL.match("Fighter ace: Douglas Bader was a pilot.")
    assert furniture.CAPTION_LABEL.match("Warning: The pier is closed.")
    assert not furniture.CAPTION_LABEL.match("He said: the pier is closed.")  # lowercase after
    assert not furniture.CAPTION_LABEL.match("The ferry: a history")
    assert not furniture.CAPTION_LABEL.match("A label of far too many words here: The end")


def test_opening_quote_capital() -> None:
    assert furniture.OPENING_QUOTE_CAPITAL.match("‘I’d")
    assert furniture.OPENING_QUOTE_CAPITAL.match('"We')
    assert not furniture.OPENING_QUOTE_CAPITAL.match("‘tis")
    assert not furniture.OPENING_QUOTE_CAPITAL.match("We")


def test_a_caption_glued_before_a_sentence_starter_is_dropped() -> None:
    text = "Rescue teams searched the beach on Friday The search ended at dusk without the boat."
    assert clean_text(text) == "The search ended at dusk without the boat."


def test_a_title_after_a_blocking_word_is_not_a_glue_point() -> None:
    text = "He starred in the film The Harbour last year and won an award for it."
    assert clean_text(text) == text
