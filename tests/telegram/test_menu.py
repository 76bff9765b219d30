"""Telegram's command menu and routing are the core's command table; membership is asked
only when the table's rule needs it."""

from __future__ import annotations

from bot.adapters.telegram_bot.adapter import START, bot_commands
from bot.core.command_table import COMMANDS, NAMES
from tests.telegram.conftest import World, tg
from tests.telegram.fake_chats import FakeChat


def table_menu() -> list[dict[str, str]]:
    menu = [{"command": "start", "description": START}]
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


async def test_reading_commands_never_ask_telegram_who_is_an_admin(world: World) -> None:
    newsroom = world.fake.chats.add(
        FakeChat(-100777, "supergroup", title="Newsroom", admins={11}, owner=10)
    )
    for text in ("/latest", "/help", "/feeds", "/subscriptions", "/alerts", "/status"):
        await world.say(newsroom, text, sender=12)
    (digest,) = await world.say(newsroom, "/digest", sender=12)  # shows the setting
    assert digest.text.startswith("Every story is pushed as it arrives.")
    (quiet,) = await world.say(newsroom, "/quiet", sender=12)
    assert quiet.text.startswith("No quiet hours.")
    assert world.fake.attempts("getChatMember") == 0
    (refused,) = await world.say(newsroom, "/digest 08:00", sender=12)  # a change
    assert refused.text.startswith("Only this chat's administrators can use /digest")
    assert world.fake.attempts("getChatMember") == 1


async def test_every_command_that_takes_a_channel_takes_it_from_a_private_chat(
    world: World,
) -> None:
    alice = world.fake.chats.add(FakeChat(42, "private", title="Alice"))
    channel = world.fake.chats.add(
        FakeChat(
            -100500,
            "channel",
            title="Daily",
            username="daily_news",
            admins={42},
            bot_admin=True,
            bot_can_post=True,
        )
    )
    (digest,) = await world.say(alice, "/digest @daily_news 08:00 Europe/Kyiv")
    assert digest.text.startswith("@daily_news: Digests at 08:00 (Europe/Kyiv)")
    assert (await world.storage.get_chat(tg(channel.id))).digest_times == ("08:00",)
    assert (await world.storage.get_chat(tg(alice.id))).digest_times == ()
    (status,) = await world.say(alice, "/status @daily_news")
    assert status.text == "@daily_news: This chat follows no feeds. /feeds lists them."
