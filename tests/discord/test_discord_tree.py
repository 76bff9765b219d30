"""Discord's registered ``/news`` tree is the core's command table, option by option."""

from __future__ import annotations

from typing import Any

from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.slash import describe
from bot.core.command_table import COMMANDS, SLASH_GROUPS, Command, Kind, Param

STRING, INTEGER, CHANNEL, ATTACHMENT = 3, 4, 7, 11
COMPLETED = {Kind.FEED, Kind.TOPIC, Kind.TIMEZONE}


def expected_option(param: Param) -> dict[str, Any]:
    option: dict[str, Any] = {
        "name": param.name,
        "description": describe(param.description),
        "required": not param.optional,
        "type": {Kind.NUMBER: INTEGER, Kind.CHANNEL: CHANNEL, Kind.FILE: ATTACHMENT}.get(
            param.kind, STRING
        ),
    }
    if param.kind in COMPLETED:
        option["autocomplete"] = True
    if param.kind == Kind.NUMBER:
        bounds = {"min_value": param.low, "max_value": param.high}
        option |= {k: v for k, v in bounds.items() if v is not None}
    return option


def seen_option(option: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "description", "required", "type", "autocomplete", "min_value", "max_value")
    seen = {k: option.get(k) for k in keys if k in option}
    if not seen.get("autocomplete"):
        seen.pop("autocomplete", None)
    return seen


def subcommands(news: dict[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every leaf of the synced tree by its path (``("alert", "add")``)."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for option in news["options"]:
        if option["type"] == 2:  # a group
            assert option["description"] == describe(SLASH_GROUPS[option["name"]], capital=True)
            for leaf in option["options"]:
                found[(option["name"], leaf["name"])] = leaf
        else:
            found[(option["name"],)] = option
    return found


def required_first(command: Command) -> list[Param]:
    return sorted(command.params, key=lambda p: p.optional)


async def test_the_synced_tree_is_the_command_table(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    (news,) = fake.synced["global"]
    leaves = subcommands(news)
    assert sorted(leaves) == sorted(c.path for c in COMMANDS)
    for command in COMMANDS:
        leaf = leaves[command.path]
        assert leaf["description"] == describe(command.description, capital=True), command.name
        options = [seen_option(o) for o in leaf.get("options", [])]
        assert options == [expected_option(p) for p in required_first(command)], command.name


def test_descriptions_fit_discord() -> None:
    for command in COMMANDS:
        assert 1 <= len(command.description) <= 100
        for param in command.params:
            assert 1 <= len(param.description) <= 100, param.name


async def test_unsubscribe_offers_all_after_the_feeds(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    log = await fake.interact(fake.command("unsubscribe", {"target": ""}, focused="target"))
    await fake.wait_for(lambda: bool(log.callbacks))
    values = [c["value"] for c in log.callbacks[0]["data"]["choices"]]
    assert values[-1] == "all" and "world-news" in values and "tech" in values


async def test_timezone_without_times_is_answered_privately(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    from discord_support import run

    log = await run(fake, adapter, fake.command("digest", {"timezone": "Europe/Kyiv"}))
    (reply,) = log.messages
    assert reply.ephemeral and reply.content.startswith("Give the times too")
