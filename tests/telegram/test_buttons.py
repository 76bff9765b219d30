"""Telegram's buttons and long lines, as pure functions: every button the renderer puts under a
message is one the handlers turn back into the right call of the command table, and text over
the limit is cut where a reader expects it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.telegram_bot import render
from bot.adapters.telegram_bot.handlers import button_call
from bot.core.command_parse import Call
from bot.core.i18n import LANGUAGES, using
from bot.core.models import Brief, Reply, ReplyKind
from tests.fakes import T0

BRIEF = Brief(
    7, "k", "bbc-world", "Troops cross", "Fighting went on.", "https://news.example/7", "BBC", T0
)


def _call(data: str, message: str = "") -> Call:
    call = button_call(data, message)
    assert isinstance(call, Call), call
    return call


def test_an_unsubscribe_button_unsubscribes_its_feed() -> None:
    [[_read, unsubscribe]] = render.brief(BRIEF, T0 + timedelta(hours=1), buttons=True).buttons
    call = _call(unsubscribe.data)
    assert call.command.name == "unsubscribe" and call.args == ("bbc-world",)
    assert call.needs_admin  # a button is no way round the permission rule


@pytest.mark.parametrize("choice", ["/latest", "/subscriptions", "/alerts", "/help"])
def test_a_choice_button_runs_its_command_without_arguments(choice: str) -> None:
    [message] = render.reply(Reply("Done.", choices=(choice,)), T0)
    [[button]] = message.buttons
    call = _call(button.data)
    assert call.command.name == choice.lstrip("/")
    assert all(a is None for a in call.args)


def test_a_button_naming_an_alias_runs_the_command_it_stands_for() -> None:
    assert _call("cmd:/list").command.name == "subscriptions"
    assert _call("cmd:start").command.name == "help"


def test_buttons_that_are_not_ours_are_ignored() -> None:
    assert button_call("cmd:/frobnicate", "") is None
    assert button_call("something else", "") is None
    assert button_call("", "") is None


def test_the_subscribe_offer_button_subscribes_to_the_url_in_its_message() -> None:
    url = "https://blog.example/feed.xml"
    offer = render.subscribe_offer(url)
    [[button]] = offer.buttons
    call = _call(button.data, offer.plain)
    assert call.command.name == "subscribe" and call.args == (url,)
    assert call.fetches  # runs off the chat's queue, as a typed /subscribe <URL> does


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("url", ["https://blog.example/feed.xml", "https://b.example/f?a=1&b=2"])
def test_the_subscribe_offer_is_read_back_in_every_language(language: str, url: str) -> None:
    # German puts the address inside the question ("Diesen Chat für <URL> abonnieren?"):
    # its button once fell back to /help instead of subscribing.
    with using(language):
        offer = render.subscribe_offer(url)
    assert render.offered_url(offer.plain) == url
    call = _call(offer.buttons[0][0].data, offer.plain)
    assert call.command.name == "subscribe" and call.args == (url,)


def test_an_offer_whose_url_is_gone_from_the_message_shows_help() -> None:
    call = _call(render.SUBSCRIBE_URL_DATA, "edited away")
    assert call.command.name == "help"


def test_an_unsubscribe_button_without_a_feed_is_a_usage_error() -> None:
    answer = button_call(render.UNSUBSCRIBE_DATA, "")
    assert isinstance(answer, Reply) and answer.kind == ReplyKind.ERROR
    assert "/unsubscribe <feed id | topic | URL | all>" in answer.text


def test_a_choice_too_long_for_callback_data_gets_no_button() -> None:
    too_long = "/" + "x" * render.CALLBACK_DATA_LIMIT
    [message] = render.reply(Reply("Done.", choices=("/latest", too_long)), T0)
    assert message.buttons == ((render.Button("/latest", data="cmd:/latest"),),)


def test_a_reply_of_only_blank_text_and_no_choices_is_no_message() -> None:
    assert render.reply(Reply("  \n ", choices=("/latest",)), T0) == []


def test_a_line_longer_than_a_message_is_cut_at_words() -> None:
    words = " ".join(f"word{i}" for i in range(2000))
    parts = render.plain_text(words, limit=1000)
    assert len(parts) > 1
    assert all(render.utf16_len(p.plain) <= 1000 for p in parts)
    pieces = [line for p in parts for line in p.plain.split("\n")]
    assert " ".join(pieces) == words  # nothing lost, no word split
    assert all(not piece.startswith(" ") for piece in pieces)


def test_a_line_without_spaces_is_cut_hard_at_the_limit() -> None:
    blob = "x" * 2500
    parts = render.plain_text(blob, limit=1000)
    assert "".join(line for p in parts for line in p.plain.split("\n")) == blob
    assert all(render.utf16_len(p.plain) <= 1000 for p in parts)


def test_cuts_never_split_an_astral_character() -> None:
    emoji = "🌍" * 10  # two UTF-16 units each
    assert render.clip_words(emoji, 7) == "🌍🌍🌍…"
    assert render.trim_sentences(emoji, 7) == "🌍🌍🌍…"
    assert render.clip_words(emoji, 0) == render.trim_sentences(emoji, 0) == ""
    assert render.clip_words(emoji, 20) == emoji  # fits exactly


def test_clipping_prefers_a_word_boundary_and_drops_trailing_punctuation() -> None:
    text = "Officials said, on Tuesday; that the bridge would reopen"
    clipped = render.clip_words(text, 30)
    assert clipped == "Officials said, on Tuesday…"
    assert render.utf16_len(clipped) <= 30
