"""Sentence splitting on news text: abbreviations, initials, quotes, numbers."""

from __future__ import annotations

import pytest

from summarizer import split_sentences
from summarizer.sentences import ends_sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The U.S. economy grew 2.5 per cent. Mr. Smith agreed.",
            ["The U.S. economy grew 2.5 per cent.", "Mr. Smith agreed."],
        ),
        (
            "It cost $3.5m. The firm, Acme Inc., said so. J.K. Rowling was there.",
            ["It cost $3.5m.", "The firm, Acme Inc., said so.", "J.K. Rowling was there."],
        ),
        (
            'They met in St. Louis. Later, Lt. Col. John Smith said: "No."',
            ["They met in St. Louis.", 'Later, Lt. Col. John Smith said: "No."'],
        ),
        (
            "Gov. Jerry Brown spoke at 10 a.m. Tuesday. He left at noon.",
            ["Gov. Jerry Brown spoke at 10 a.m. Tuesday.", "He left at noon."],
        ),
        (
            '"We won," he said. "It was great." She nodded.',
            ['"We won," he said.', '"It was great."', "She nodded."],
        ),
        (
            "‘I’d be over the moon,’ said Locke. ‘I had a taste of it.’ He smiled.",
            ["‘I’d be over the moon,’ said Locke.", "‘I had a taste of it.’", "He smiled."],
        ),
        ("Really? Truly? Yes!", ["Really?", "Truly?", "Yes!"]),
        ("Prices rose 5% etc. Then they fell.", ["Prices rose 5% etc.", "Then they fell."]),
        (
            "The No. 1 seed won in Washington, D.C. on Monday.",
            ["The No. 1 seed won in Washington, D.C. on Monday."],
        ),
        ("A title line\nThe body. More body.", ["A title line", "The body.", "More body."]),
        (
            "police said . the man , 35 , was held .",
            ["police said .", "the man , 35 , was held ."],
        ),
        ("   \n  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("Done.", True),
        ('He said "yes."', True),
        ("Why?)", True),
        ("Wait…", True),
        ("No end", False),
    ],
)
def test_ends_sentence(text: str, ends: bool) -> None:
    assert ends_sentence(text) is ends


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "She met the U.S. Ambassador to Peru on Monday. He left early.",
            ["She met the U.S. Ambassador to Peru on Monday.", "He left early."],
        ),
        (
            "The E.U. Commission and the U.N. Security Council agreed. Talks end today.",
            ["The E.U. Commission and the U.N. Security Council agreed.", "Talks end today."],
        ),
        # A usual sentence opener after the initials still starts a sentence.
        (
            "The family moved to the U.K. The move was hard.",
            ["The family moved to the U.K.", "The move was hard."],
        ),
        ("They flew to the U.S. He stayed home.", ["They flew to the U.S.", "He stayed home."]),
    ],
)
def test_no_split_after_initials_before_a_name(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '"Did the mayor know about the bridge?" Ortega asked. He shook his head.',
            ['"Did the mayor know about the bridge?" Ortega asked.', "He shook his head."],
        ),
        (
            "“We are not done yet!” she said. The crowd cheered.",
            ["“We are not done yet!” she said.", "The crowd cheered."],
        ),
        (
            '"Why now?" asked the council chair. Nobody answered.',
            ['"Why now?" asked the council chair.', "Nobody answered."],
        ),
        # More than a speech tag after the quote is a sentence of its own.
        (
            '"Why now?" Nobody on the council could answer that question.',
            ['"Why now?"', "Nobody on the council could answer that question."],
        ),
    ],
)
def test_attribution_stays_with_the_quote(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
