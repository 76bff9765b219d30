"""Sentence splitting (summarizer.sentences): each repair on top of Punkt, on invented news copy."""

from __future__ import annotations

from summarizer import split_sentences
from summarizer.sentences import MAX_ATTRIBUTION_WORDS, ends_sentence


def test_a_lowercase_word_and_a_full_stop_end_a_sentence_before_a_title() -> None:
    # Punkt knows "Dr" as an abbreviation and would keep the two sentences together.
    assert split_sentences(
        "Growth slowed to 0.4 per cent in the quarter. Dr Jones blamed rain."
    ) == [
        "Growth slowed to 0.4 per cent in the quarter.",
        "Dr Jones blamed rain.",
    ]
    assert split_sentences("Exports fell in march. Imports rose.") == [
        "Exports fell in march.",
        "Imports rose.",
    ]


def test_lowercase_abbreviations_do_not_end_a_sentence() -> None:
    assert split_sentences("Turnout was approx. Forty per cent.") == [
        "Turnout was approx. Forty per cent."
    ]
    assert split_sentences("The match ended in a draw vs. Leeds. Fans left.") == [
        "The match ended in a draw vs. Leeds.",
        "Fans left.",
    ]


def test_a_chain_of_titles_stays_in_one_sentence() -> None:
    assert split_sentences("It was signed by Capt. Anna Berg and Sgt. Ola Dahl. They left.") == [
        "It was signed by Capt. Anna Berg and Sgt. Ola Dahl.",
        "They left.",
    ]


def test_initials_before_a_name_do_not_end_a_sentence() -> None:
    assert split_sentences("They flew to the U.S. Embassy in Oslo.") == [
        "They flew to the U.S. Embassy in Oslo."
    ]
    assert split_sentences("He visited the U.N. Security Council. Then he left.") == [
        "He visited the U.N. Security Council.",
        "Then he left.",
    ]


def test_initials_before_a_usual_opener_end_a_sentence() -> None:
    assert split_sentences("She moved to the U.S. The job was new.") == [
        "She moved to the U.S.",
        "The job was new.",
    ]


def test_a_stray_closing_quote_joins_the_sentence_before_it() -> None:
    assert split_sentences('The talks failed. " More talks are planned.') == [
        'The talks failed. "',
        "More talks are planned.",
    ]


def test_speech_tags_join_their_quote() -> None:
    assert split_sentences('"Enough!" shouted the crowd outside. Police watched.') == [
        '"Enough!" shouted the crowd outside.',
        "Police watched.",
    ]
    assert split_sentences('"Why?" he asked. "Because," she replied.') == [
        '"Why?" he asked.',
        '"Because," she replied.',
    ]


def test_a_sentence_after_a_quote_is_not_a_speech_tag() -> None:
    # No speech verb at either end, and longer than a tag.
    assert split_sentences('"Enough!" The crowd outside then marched to the square.') == [
        '"Enough!"',
        "The crowd outside then marched to the square.",
    ]
    too_long = " ".join(["word"] * MAX_ATTRIBUTION_WORDS) + " said"
    assert split_sentences(f'"Enough!" {too_long.capitalize()}.') == [
        '"Enough!"',
        f"{too_long.capitalize()}.",
    ]


def test_quoted_speech_in_a_paragraph() -> None:
    text = 'Ministers met on Monday. "We agreed," one said. "It took hours."'
    assert split_sentences(text) == [
        "Ministers met on Monday.",
        '"We agreed," one said.',
        '"It took hours."',
    ]


def test_numbers_and_money_do_not_end_sentences() -> None:
    assert split_sentences("Prices rose 3.5% in May. Rents rose 2.1% too.") == [
        "Prices rose 3.5% in May.",
        "Rents rose 2.1% too.",
    ]
    assert split_sentences("Sales hit $1.2bn. Profit fell.") == [
        "Sales hit $1.2bn.",
        "Profit fell.",
    ]


def test_street_abbreviations() -> None:
    assert split_sentences("They met at No. 10 Downing Street.") == [
        "They met at No. 10 Downing Street."
    ]


def test_line_breaks_always_end_a_sentence_and_spaces_collapse() -> None:
    text = "Paragraph one ends here\n\n  Paragraph  two\tstarts here.   And  goes on.\n"
    assert split_sentences(text) == [
        "Paragraph one ends here",
        "Paragraph two starts here.",
        "And goes on.",
    ]


def test_an_ellipsis_ends_a_sentence() -> None:
    assert split_sentences("It happened... Then silence.") == ["It happened...", "Then silence."]


def test_ends_sentence_looks_through_closing_quotes_and_brackets() -> None:
    assert ends_sentence('(He left.)"')
    assert ends_sentence("Done.   ")
    assert ends_sentence("Really?!")
    assert ends_sentence("It happened...")
    assert not ends_sentence("Growth was 3.5")
    assert not ends_sentence("the U.S")
    assert not ends_sentence('"Quoted words"')
    assert not ends_sentence("")
