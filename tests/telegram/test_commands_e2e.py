"""Commands end to end: fake Bot API <-> real python-telegram-bot <-> real Commands + SQLite."""

from __future__ import annotations

import logging

import pytest

from bot.core.commands import COMMANDS
from bot.core.i18n import LANGUAGES
from bot.core.models import ChatSettings
from tests.telegram.conftest import TECH, WORLD, World, tg
from tests.telegram.fake_chats import BOT_ID, TOKEN, FakeChat, button_press, command


def private(world: World, user_id: int = 4242) -> FakeChat:
    return world.fake.chats.add(FakeChat(user_id, "private", title="Alice"))


def group(world: World, chat_id: int = -100777, **kw: object) -> FakeChat:
    chat = FakeChat(chat_id, "supergroup", title="Newsroom", admins={11}, owner=10)
    for key, value in kw.items():
        setattr(chat, key, value)
    return world.fake.chats.add(chat)


async def test_start_registers_the_command_menu_and_answers(world: World) -> None:
    names = [c["command"] for c in world.fake.commands]
    assert names == ["start", *(c.name for c in COMMANDS)]
    await world.fake.wait_until(lambda: world.fake.attempts("getUpdates") > 0)
    methods = [m for m, _ in world.fake.calls]
    menus = ["setMyCommands"] * len(LANGUAGES)  # the default menu, then one per other language
    assert methods[: len(menus) + 3] == ["getMe", *menus, "deleteWebhook", "getUpdates"]

    (reply,) = await world.say(private(world), "/start")
    assert "/subscribe" in reply.text and "/latest" in reply.text
    assert reply.parse_mode == "HTML"


async def test_subscribe_round_trip(world: World) -> None:
    alice = private(world)
    (reply,) = await world.say(alice, "/subscribe world")
    assert reply.text.startswith("Subscribed to World News (world).")
    assert [f.id for f in await world.storage.subscriptions(tg(alice.id))] == ["world"]
    # The reply's suggested follow-up is a button that runs /latest.
    keyboard = reply.params["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "/latest", "callback_data": "cmd:/latest"}]]

    (listing,) = await world.say(alice, "/subscriptions")
    assert "world: World News [world]" in listing.text

    (gone,) = await world.say(alice, "/unsubscribe world")
    assert gone.text == "Unsubscribed from world."
    assert await world.storage.subscriptions(tg(alice.id)) == []


async def test_latest_shows_briefs_as_html(world: World) -> None:
    await world.publish(WORLD, world.story(WORLD, title="Talks <resume> in Geneva & Bern"))
    await world.publish(TECH, world.story(TECH, title="Chips get smaller"))
    (reply,) = await world.say(private(world), "/latest world")
    assert reply.text.startswith("The latest story:")
    assert "Talks <resume> in Geneva & Bern" in reply.text  # visible text, unescaped
    assert "<b><a href=" in reply.raw and "&lt;resume&gt;" in reply.raw
    assert "Chips" not in reply.text
    assert "World News · 19 min ago" in reply.text  # published 1 min after T0, polled at +20


async def test_latest_words_search_every_feed_and_mark_related(world: World) -> None:
    await world.publish(WORLD, world.story(WORLD, title="Kursk incursion widens", summary="War."))
    await world.publish(TECH, world.story(TECH, title="Troops near Sudzha", summary="Drones."))
    await world.publish(TECH, world.story(TECH, title="Chips get smaller", summary="Tiny."))
    (reply,) = await world.say(private(world), "/latest kursk 3")
    assert reply.text.startswith(
        'The latest story matching "kursk", then 1 related by meaning:\n\nKursk incursion'
    )
    assert "Related: Troops near Sudzha" in reply.text
    assert "Chips" not in reply.text


async def test_command_addressed_to_this_bot_or_another(world: World) -> None:
    newsroom = group(world)
    (reply,) = await world.say(newsroom, "/latest@newsbrief_bot", sender=12)
    assert "No stories yet" in reply.text
    # Addressed to another bot: ignored. /help afterwards proves the update was consumed.
    await world.fake.push(command(newsroom, "/latest@other_bot", sender=12))
    (after,) = await world.say(newsroom, "/help@newsbrief_bot", sender=12)
    assert "newsbrief sends short" in after.text
    assert len(world.fake.sent_to(newsroom.id)) == 2


async def test_group_member_who_is_not_admin_is_refused(world: World) -> None:
    newsroom = group(world)
    (refusal,) = await world.say(newsroom, "/subscribe world", sender=12)
    assert refusal.text.startswith("Only this chat's administrators can use /subscribe")
    assert await world.storage.subscriptions(tg(newsroom.id)) == []
    (also,) = await world.say(newsroom, "/alert kursk", sender=12)
    assert also.text.startswith("Only this chat's administrators")
    # Anyone may read.
    (latest,) = await world.say(newsroom, "/latest", sender=12)
    assert "No stories yet" in latest.text

    (ok,) = await world.say(newsroom, "/subscribe world", sender=11)  # an administrator
    assert ok.text.startswith("Subscribed to World News")
    (owner_ok,) = await world.say(newsroom, "/subscribe tech", sender=10)  # the owner
    assert owner_ok.text.startswith("Subscribed to Tech Today")
    # An anonymous administrator writes as the group itself.
    (anon,) = await world.say(newsroom, "/unsubscribe tech", sender_chat=newsroom)
    assert anon.text == "Unsubscribed from tech."
    # Posting as some other channel is not being an administrator.
    other = world.fake.chats.add(FakeChat(-100999, "channel", title="Elsewhere"))
    (no,) = await world.say(newsroom, "/unsubscribe world", sender_chat=other)
    assert no.text.startswith("Only this chat's administrators")


async def test_forum_topic_replies_and_subscribes_in_the_topic(world: World) -> None:
    forum = group(world, -100888, is_forum=True, topics={7})
    (reply,) = await world.say(forum, "/subscribe world", sender=11, thread=7)
    assert reply.thread_id == 7
    assert [f.id for f in await world.storage.subscriptions(tg(forum.id, 7))] == ["world"]
    assert await world.storage.subscriptions(tg(forum.id)) == []


async def test_channel_is_managed_from_a_private_chat(world: World) -> None:
    alice = private(world, 42)
    channel = world.fake.chats.add(
        FakeChat(
            -100500, "channel", title="Daily", username="daily_news", admins={42}, bot_admin=True
        )
    )
    (cannot_post,) = await world.say(alice, "/subscribe @daily_news world")
    assert cannot_post.text.startswith("I cannot post in @daily_news.")

    channel.bot_can_post = True
    (ok,) = await world.say(alice, "/subscribe @daily_news world")
    assert ok.text.startswith("@daily_news: Subscribed to World News")
    assert [f.id for f in await world.storage.subscriptions(tg(channel.id))] == ["world"]
    assert await world.storage.subscriptions(tg(alice.id)) == []
    (listing,) = await world.say(alice, "/subscriptions @daily_news")
    assert "world: World News" in listing.text

    bob = private(world, 43)
    (refused,) = await world.say(bob, "/unsubscribe @daily_news all")
    assert refused.text == "Only administrators of @daily_news can change what it receives."
    (unknown,) = await world.say(bob, "/subscribe @nowhere world")
    assert unknown.text.startswith("I cannot see @nowhere.")
    assert [f.id for f in await world.storage.subscriptions(tg(channel.id))] == ["world"]


async def test_bare_url_in_private_chat_offers_a_subscribe_button(world: World) -> None:
    url = "https://blog.example/feed.xml"
    world.source.resolvable[url] = WORLD.__class__("blog-example", url, "Example Blog")
    alice = private(world)
    (offer,) = await world.say(alice, url)
    assert offer.text == f"Subscribe this chat to {url}?"
    keyboard = offer.params["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "Subscribe", "callback_data": "suburl"}]]

    message = world.fake.chats.message(alice, offer.message_id, offer.text, None, offer.params)
    before = len(world.fake.sent_to(alice.id))
    await world.fake.push(button_press(alice, alice.id, message, "suburl"))
    await world.fake.wait_until(lambda: len(world.fake.sent_to(alice.id)) > before)
    reply = world.fake.sent_to(alice.id)[-1]
    assert reply.text.startswith("Subscribed to Example Blog (blog-example).")
    assert [f.id for f in await world.storage.subscriptions(tg(alice.id))] == ["blog-example"]
    assert world.fake.attempts("answerCallbackQuery") == 1
    assert world.fake.attempts("editMessageReplyMarkup") == 1


async def test_pending_notice_is_shown_to_an_admin_once(world: World) -> None:
    newsroom = group(world)
    chat = tg(newsroom.id)
    await world.storage.save_chat(ChatSettings(chat, notice="The feed x was removed."))
    (member_reply,) = await world.say(newsroom, "/help", sender=12)  # not an admin: no notice
    assert "newsbrief sends short" in member_reply.text
    notice, help_reply = await world.say(newsroom, "/help", sender=11, replies=2)
    assert notice.text == "The feed x was removed."
    assert "newsbrief sends short" in help_reply.text
    (again,) = await world.say(newsroom, "/help", sender=11)
    assert "newsbrief sends short" in again.text


async def test_unknown_command_in_private_chat(world: World) -> None:
    (reply,) = await world.say(private(world), "/frobnicate now")
    assert reply.text == 'Unknown command "/frobnicate". /help lists the commands.'


async def test_error_handler_logs_and_answers_politely(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    newsroom = group(world)
    world.fake.fail("getChatMember", 500, "Internal Server Error")
    with caplog.at_level(logging.ERROR, logger="bot.adapters.telegram_bot.handlers"):
        (reply,) = await world.say(newsroom, "/subscribe world", sender=11)
    assert reply.text == "Sorry, something went wrong on my side. Please try again in a minute."
    (record,) = [r for r in caplog.records if r.name == "bot.adapters.telegram_bot.handlers"]
    assert record.exc_info is not None and "Internal Server Error" in str(record.exc_info[1])
    assert await world.storage.subscriptions(tg(newsroom.id)) == []


async def test_the_token_never_reaches_the_logs(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await world.say(private(world), "/help")
    assert any("getUpdates" in r.getMessage() for r in caplog.records)  # httpx logged URLs
    assert not [r for r in caplog.records if TOKEN in r.getMessage()]


async def test_admin_check_asks_telegram_with_the_sender(world: World) -> None:
    newsroom = group(world)
    await world.say(newsroom, "/subscribe world", sender=11)
    asked = [p for m, p in world.fake.calls if m == "getChatMember"]
    assert asked == [{"chat_id": newsroom.id, "user_id": 11}]
    assert BOT_ID not in [p["user_id"] for p in asked]


async def test_the_other_commands_answer_through_the_core(world: World) -> None:
    alice = private(world)
    (feeds,) = await world.say(alice, "/feeds tech")
    assert feeds.text.startswith("1 feed:\ntech: Tech Today [tech]")
    (alert,) = await world.say(alice, '/alert "interest rates" ecb')
    assert alert.text.startswith('Alert 1 set: stories matching ""interest rates" ecb"')
    (alerts,) = await world.say(alice, "/alerts")
    assert alerts.text.startswith('1 alert:\n1: "interest rates" ecb')
    (unalert,) = await world.say(alice, "/unalert 1")
    assert unalert.text == "Alert 1 removed."
    (digest,) = await world.say(alice, "/digest 08:00 Europe/Kyiv")
    assert digest.text.startswith("Digests at 08:00 (Europe/Kyiv); the next one in ")
    assert digest.text.endswith("Keyword alerts still arrive at once. /digest off to undo.")
    assert (await world.storage.get_chat(tg(alice.id))).digest_times == ("08:00",)
    await world.say(alice, "/subscribe world")
    (status,) = await world.say(alice, "/status")
    assert status.text.startswith("world: last success")
