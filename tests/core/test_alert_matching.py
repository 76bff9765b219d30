"""Alert syntax and matching: words, phrases, OR, exclusions, accents, word boundaries; the
token index gives the same answers as evaluating every alert."""

from __future__ import annotations

import random

import pytest

from bot.core.alerts import MAX_QUERY_CHARS, AlertIndex, Query, normalize, parse_query
from bot.core.errors import UserInputError
from bot.core.models import ChatRef, Platform
from bot.core.text import plain_text


def chat(n: int) -> ChatRef:
    return ChatRef(Platform.DISCORD, str(n))


def test_parse_words_or_and_exclusions() -> None:
    q = parse_query("kursk OR sudzha -football")
    assert q == Query(groups=(("kursk",), ("sudzha",)), excluded=("football",))


def test_parse_phrases_and_implicit_and() -> None:
    q = parse_query('"Interest Rates" ECB -"rate cut"')
    assert q == Query(groups=(("interest rates", "ecb"),), excluded=("rate cut",))


def test_article_markup_hides_no_words_and_lends_none() -> None:
    """Feed HTML reaches the matcher unsanitised: script and style text must not match."""
    markup = (
        "<p>Shelling near <b>Sudzha</b>&nbsp;on Tuesday</p><script>var kursk = 1;</script>"
        "<STYLE type='text/css'>.ukraine { }</STYLE ><!-- football -->"
    )
    assert plain_text(markup).split() == ["Shelling", "near", "Sudzha", "on", "Tuesday"]
    index = AlertIndex([(chat(1), "sudzha"), (chat(2), "kursk"), (chat(3), "football")])
    assert set(index.match(plain_text(markup))) == {chat(1)}


def test_lower_case_or_is_a_word() -> None:
    assert parse_query("war or peace").groups == (("war", "or", "peace"),)


@pytest.mark.parametrize("text", ["OR kursk", "kursk OR", "-football", '""', "x" * 201])
def test_bad_queries_explain_themselves(text: str) -> None:
    with pytest.raises(UserInputError, match=r"e\.g\.|at most"):
        parse_query(text)
    assert MAX_QUERY_CHARS == 200


def test_normalize_folds_case_and_accents() -> None:
    assert normalize("Sudža, KÖLN & São Paulo!") == "sudza koln sao paulo"
    assert normalize("Sudz\u030ca") == "sudza"  # decomposed input
    assert normalize("Київ") == normalize("київ")
    assert normalize("Ἀθῆναι, Straße, ﬁnance") == "αθηναι strasse finance"


def test_points_and_harakat_do_not_split_words() -> None:
    assert normalize("مُحَمَّد") == normalize("محمد")  # Arabic with and without harakat
    assert normalize("עִבְרִית") == "עברית"  # Hebrew with niqqud


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("kursk", "Ukrainian troops push into Russia's Kursk region", ("kursk",)),
        ("sudza", "Fighting near Sudža on Thursday", ("sudza",)),
        ("sudža", "Fighting near SUDZA on Thursday", ("sudza",)),
        ("rate", "ECB holds interest rates", ()),  # word boundary: rate != rates
        ("ecb", "The ECBs decision", ()),
        ("cut", "Shortcut to the news", ()),
        ('"interest rates" ecb', "ECB leaves interest rates unchanged", ("interest rates", "ecb")),
        ('"interest rates" ecb', "ECB: rates of interest unchanged", ()),  # phrase order
        ('"interest rates" ecb', "Interest rates rise in the US", ()),  # AND
        ("kursk OR sudzha -football", "Kursk football club wins", ()),
        ("kursk OR sudzha -football", "Shelling in Sudzha", ("sudzha",)),
        ("kursk OR sudzha", "Kursk and Sudzha under fire", ("kursk", "sudzha")),
        ("jong-un", "Kim Jong-un said on Tuesday", ("jong un",)),
        ('-"rate cut" ecb', "ECB rate cut expected", ()),
        ('-"rate cut" ecb', "ECB cut the rate", ("ecb",)),
    ],
)
def test_matching(query: str, text: str, expected: tuple[str, ...]) -> None:
    assert parse_query(query).matches(text) == expected


def test_index_reports_each_chat_once_with_every_matching_term() -> None:
    index = AlertIndex(
        [
            (chat(1), "kursk"),
            (chat(1), "sudzha -football"),
            (chat(2), '"interest rates"'),
            (chat(3), "kursk -shelling"),
        ]
    )
    hits = index.match("Shelling near Kursk and Sudzha")
    assert hits == {chat(1): ("kursk", "sudzha")}
    assert index.match("Nothing here") == {}


def test_index_skips_alerts_that_no_longer_parse() -> None:
    index = AlertIndex([(chat(1), "OR"), (chat(2), "ok")])
    assert len(index) == 1
    assert index.match("ok then") == {chat(2): ("ok",)}


def test_index_matches_like_evaluating_every_alert() -> None:
    rng = random.Random(7)
    vocab = [
        "kursk",
        "sudzha",
        "ecb",
        "interest",
        "rates",
        "football",
        "kyiv",
        "gaza",
        "truce",
        "oil",
        "price",
        "fed",
    ]
    queries = []
    for _ in range(300):
        words = rng.sample(vocab, rng.randint(1, 3))
        parts = [f'"{words[0]} {words[1]}"' if len(words) > 2 else words[0], *words[1:]]
        if rng.random() < 0.3:
            parts.insert(1, "OR")
        if rng.random() < 0.3:
            parts.append("-" + rng.choice(vocab))
        queries.append(" ".join(parts))
    alerts = [(chat(i), q) for i, q in enumerate(queries) if _parses(q)]
    index = AlertIndex(alerts)
    parsed = [(c, parse_query(q)) for c, q in alerts]
    hits = 0
    for _ in range(300):
        text = " ".join(rng.choice(vocab).capitalize() for _ in range(rng.randint(3, 12)))
        naive = {c: t for c, q in parsed if (t := q.matches(text))}
        assert index.match(text) == naive
        hits += len(naive)
    assert len(alerts) > 200 and hits > 1000


def _parses(query: str) -> bool:
    try:
        parse_query(query)
    except UserInputError:
        return False
    return True
