"""One rule for where a sentence ends, shared by every renderer and ``briefs.clip``."""

from __future__ import annotations

import pytest

from bot.core.briefs import clip, first_sentence
from bot.core.sentence_ends import sentence_ends


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("J. K. Rowling and the U.S. agree. Next.", "J. K. Rowling and the U.S. agree."),
        (
            "Prices rose 3.5 percent, e.g. in Kyiv. Then they fell.",
            "Prices rose 3.5 percent, e.g. in Kyiv.",
        ),
        ("Gen. Smith spoke. Mr. Jones left.", "Gen. Smith spoke."),
        ('He said "no." Then left.', 'He said "no."'),
        ("Up 5%! Markets cheer.", "Up 5%!"),
        ("Really?! Yes.", "Really?!"),
        ("短い。長い文です。", "短い。"),
        ("No full stop at all", "No full stop at all"),
        ("  Padded. Text.  ", "Padded."),
        ("", ""),
    ],
)
def test_first_sentence(text: str, first: str) -> None:
    assert first_sentence(text) == first


def test_every_end_is_found() -> None:
    text = "One. Two! Three? Four…"
    assert [text[:end] for end in sentence_ends(text)] == [
        "One.",
        "One. Two!",
        "One. Two! Three?",
        text,
    ]


def test_clip_cuts_at_the_last_end_that_fits() -> None:
    assert clip("Dr. Who arrived. The end came later.", 20) == "Dr. Who arrived."
    assert clip("Dr. Who arrived in town", 10) == "Dr. Who…"
