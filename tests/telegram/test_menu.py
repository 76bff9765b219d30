"""Telegram's command menu and routing are the core's command table."""

from __future__ import annotations

from bot.adapters.telegram_bot.adapter import START, bot_commands
from bot.core.command_table import COMMANDS, NAMES
from tests.telegram.conftest import World
from tests.telegram.fake_chats import FakeChat


def table_menu() -> list[dict[str, str]]:
    menu = [{"command": START.command, "description": START.description}]
    for c in COMMANDS:
        text = f"{c.description} ({c.usage})" if c.usage else c.description
        menu.append({"command": c.name, "description": text})
    return menu


def test_the_menu_is_the_table() -> None:
    assert [{"command": b.command, "description": b.description} for b in bot_commands()] == (
        table_menu()
    )


async def test_the_registered_menu_is_the_table(world: World) -> None:
    assert world.fake.commands == table_menu()


async def test_every_name_and_alias_is_routed(world: World) -> None:
    alice = world.fake.chats.add(FakeChat(4242, "private", title="Alice"))
    for name in NAMES:
        (reply,) = await world.say(alice, f"/{name}")
        assert not reply.text.startswith("Unknown command"), name
