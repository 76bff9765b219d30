"""The command table and the one parser: every command once, typed values, one rule each."""

from __future__ import annotations

import inspect

import pytest

from bot.core.command_parse import Call, bind, parse
from bot.core.command_table import COMMANDS, NAMES, Command, Kind, find
from bot.core.commands import Commands
from bot.core.models import Reply, ReplyKind


def call(text: str, **kw: object) -> Call:
    parsed = parse(text, **kw)  # type: ignore[arg-type]
    assert isinstance(parsed, Call), parsed
    return parsed


def error(parsed: Call | Reply | None) -> str:
    assert isinstance(parsed, Reply) and parsed.kind is ReplyKind.ERROR, parsed
    return parsed.text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_each_entry_has_a_handler_taking_its_typed_values(command: Command) -> None:
    handler = getattr(Commands, command.method)
    signature = inspect.signature(handler).parameters.values()
    params = [p.name for p in signature if p.kind != inspect.Parameter.KEYWORD_ONLY]
    assert command.progress == any(p.name == "progress" for p in signature)
    assert params[:2] == ["self", "chat"]
    assert len(params) - 2 == len(command.typed)
    rest = [i for i, p in enumerate(command.typed) if p.rest]
    assert len(rest) <= 1  # only numbers after it: a trailing number is theirs
    assert all(p.kind == Kind.NUMBER for p in command.typed[rest[0] + 1 :]) if rest else True


def test_names_aliases_and_paths_are_unique() -> None:
    assert len(NAMES) == len({n.lower() for n in NAMES})
    assert len({c.path for c in COMMANDS}) == len(COMMANDS)
    assert find("START") is find("help") and find("list") is find("subscriptions")


def test_words_fill_parameters_left_to_right() -> None:
    assert call("/latest").args == (None, None)
    assert call("/latest 3").args == (None, 3)  # a bare number is a count
    assert call("/latest world 3").args == ("world", 3)
    assert call("/latest 100").args == (None, 20)  # clamped into 1..20
    assert call("/Latest@NewsBot world", bot_name="newsbot").args == ("world", None)
    assert call('/latest ukraine -football "interest rates" 3').args == (
        'ukraine -football "interest rates"',
        3,
    )
    assert call("/latest 2024 election").args == ("2024 election", None)
    assert error(parse("/unalert 1 2")) == "Usage: /unalert <id>. /alerts shows the ids."
    assert call('/alert "interest rates"  ecb').args == ('"interest rates"  ecb',)
    assert call("/digest 08:00 Europe/Kyiv").args == ("08:00", "Europe/Kyiv")
    assert call("/start deep-link-payload").command.name == "help"


def test_bad_and_missing_values_get_one_clear_answer() -> None:
    assert error(parse("/unalert x")) == "Usage: /unalert <id>. /alerts shows the ids."
    assert error(parse("/unalert 0")) == "Usage: /unalert <id>. /alerts shows the ids."
    assert error(parse("/unalert ²")) == "Usage: /unalert <id>. /alerts shows the ids."
    assert error(parse("/subscribe")).startswith("Tell me what to follow")
    assert error(parse("/nope")) == 'Unknown command "/nope". /help lists the commands.'
    assert parse("/help@otherbot", bot_name="newsbot") is None
    assert parse("hello") is None


def test_a_channel_is_named_first_only_where_the_platform_says_so() -> None:
    def handle(word: str) -> bool:
        return word.startswith("@")

    assert call("/subscribe @daily world", channel=handle).channel == "@daily"
    assert call("/subscribe @daily world", channel=handle).args == ("world",)
    assert call("/alert @daily", channel=None).args == ("@daily",)
    assert call("/latest @x", channel=handle).channel == ""  # latest acts here only


def test_typed_options_bind_without_text() -> None:
    typed = bind("latest", {"query": "world", "count": 2})
    assert isinstance(typed, Call) and typed.args == ("world", 2)
    assert error(bind("unsubscribe", {"target": "  "})).startswith("Tell me what to stop")
    with pytest.raises(TypeError):
        bind("latest", {"feed": "world"})


def test_who_may_run_a_call() -> None:
    assert call("/subscribe world").needs_admin
    assert not call("/latest").needs_admin
    assert not call("/digest").needs_admin and call("/digest off").needs_admin
    assert not call("/quiet").needs_admin and call("/quiet 22:00-07:00").needs_admin
    assert call("/subscribe https://x.example/feed").fetches
    assert (
        not call("/subscribe world").fetches and not call("/unsubscribe https://x.example").fetches
    )


def test_help_is_written_from_the_table() -> None:
    lines = [c.help_line() for c in COMMANDS]
    assert "/latest [feed id | topic | words] [n] - show the newest briefs, or search them" in lines
    assert all(p.kind != Kind.CHANNEL for c in COMMANDS for p in c.typed)
