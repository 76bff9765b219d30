"""Word helpers (summarizer.words): what budgets count and what comparisons see."""

from __future__ import annotations

from summarizer.words import STOPWORDS, content_words, count_words, words_of


def test_count_words_counts_whitespace_separated_tokens_including_punctuation() -> None:
    assert count_words("The ferry left at noon.") == 5
    # Budgets count what a reader sees: a detached full stop is a token of its own.
    assert count_words("police said . the man , 35 , was held .") == 11
    assert count_words("  tabs\tand\nnew lines  ") == 4
    assert count_words("") == 0
    assert count_words("   ") == 0


def test_count_words_treats_hyphenated_and_numbers_as_one_word() -> None:
    assert count_words("A well-known 5,000-seat arena") == 4


def test_words_of_lowercases_and_drops_punctuation() -> None:
    assert words_of("Storm HITS the Coast!") == ["storm", "hits", "the", "coast"]
    assert words_of('"Yes," she said.') == ["yes", "she", "said"]


def test_words_of_splits_at_apostrophes_commas_and_hyphens() -> None:
    assert words_of("Jerry's 5,000 well-known") == ["jerry", "s", "5", "000", "well", "known"]


def test_words_of_keeps_non_ascii_letters() -> None:
    assert words_of("Zürich and São Paulo") == ["zürich", "and", "são", "paulo"]


def test_content_words_are_distinct_long_non_stop_words() -> None:
    text = "The council and the Council of Oslo voted on it, EU said."
    # "the", "and", "of", "on", "it", "said" are stop words; "EU" is too short.
    assert content_words(text) == {"council", "oslo", "voted"}


def test_content_words_of_stop_words_only_is_empty() -> None:
    assert content_words("He said that it was not so.") == set()
    assert content_words("") == set()


def test_stopwords_are_lowercase_single_words() -> None:
    assert "the" in STOPWORDS and "said" in STOPWORDS
    assert all(word == word.lower() and " " not in word for word in STOPWORDS)
    # Content-bearing news words are not in the list.
    assert not {"council", "police", "storm", "minister"} & STOPWORDS
