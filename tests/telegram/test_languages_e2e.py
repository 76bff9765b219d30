"""The bot in the chat's language, end to end through the fake Bot API: the user's Telegram
``language_code`` by default, ``/language`` to change it; feed text is never translated."""

from __future__ import annotations

import re

from bot.core.i18n import LANGUAGES
from bot.core.models import Feed
from tests.telegram.conftest import WORLD, World, tg
from tests.telegram.fake_chats import FakeChat, button_press


async def test_a_ukrainian_chat_gets_help_and_pushed_briefs_in_ukrainian(world: World) -> None:
    olena = world.fake.chats.add(FakeChat(4646, language="uk"))
    (help_,) = await world.say(olena, "/help")
    assert help_.text.startswith("newsbrief надсилає короткі й точні виклади")
    assert "/subscribe <id стрічки | тема | URL> - отримувати свіжі новини сюди" in help_.text
    assert "/language [код] - показати або змінити мову бота в цьому чаті" in help_.text
    (reply,) = await world.say(olena, "/subscribe world")
    assert reply.text.startswith("Підписано на World News (world).")

    story = world.story(WORLD, title="Ukrainian troops push into Kursk region", summary="Fast.")
    await world.publish(WORLD, story)
    await world.deliver()
    (brief,) = world.fake.sent_to(olena.id)[2:]
    title, summary, footer = brief.text.split("\n")[:3]
    assert (title, summary) == ("Ukrainian troops push into Kursk region", "Fast.")  # as published
    assert re.fullmatch(r"World News · \d+ хв тому", footer), footer
    assert (await world.storage.get_chat(tg(olena.id))).language == "uk"


async def test_language_shows_and_sets_the_chats_language(world: World) -> None:
    alice = world.fake.chats.add(FakeChat(4747, language="pt-br"))  # not one of ours: English
    (shown,) = await world.say(alice, "/language")
    assert shown.text.startswith("The bot speaks English here. /language <code> changes it;")
    assert "uk (Українська)" in shown.text
    (wrong,) = await world.say(alice, "/language xx")
    assert wrong.text.startswith('No language "xx". The choices: en (English), uk (')
    (done,) = await world.say(alice, "/language de")
    assert done.text == (
        "Der Bot spricht hier jetzt Deutsch: Antworten, Meldungen, Digests und Hinweise."
    )
    (status,) = await world.say(alice, "/status")
    assert status.text == "Dieser Chat hat keine Feeds abonniert. /feeds listet sie auf."
    (unknown,) = await world.say(alice, "/nope")
    assert unknown.text == 'Unbekannter Befehl "/nope". /help listet die Befehle auf.'


async def test_a_chosen_language_wins_over_the_users_and_only_admins_change_it(
    world: World,
) -> None:
    newsroom = world.fake.chats.add(
        FakeChat(-100999, "supergroup", title="Newsroom", admins={11}, owner=10)
    )
    (refused,) = await world.say(newsroom, "/language fr", sender=12)
    assert refused.text.startswith("Only this chat's administrators can use /language here.")
    (done,) = await world.say(newsroom, "/language fr", sender=11)
    assert done.text.startswith("La langue du bot ici est désormais Français\u00a0: réponses")
    (seen,) = await world.say(newsroom, "/language", sender=12)  # anyone may look
    assert seen.text.startswith("Langue du bot ici\u00a0: Français.")


async def test_the_menu_is_registered_in_every_language(world: World) -> None:
    assert set(world.fake.menus) == {"", *(c for c in LANGUAGES if c != "en")}
    described = {m["command"]: m["description"] for m in world.fake.menus["uk"]}
    assert described["start"] == "що вміє цей бот і як почати"
    assert described["latest"] == (
        "показати найновіші новини або шукати серед них ([id стрічки | тема | слова] [n])"
    )
    assert world.fake.menus[""] == world.fake.commands


async def test_a_french_user_gets_the_subscribe_offer_and_its_button_in_french(
    world: World,
) -> None:
    url = "https://blog.example/feed.xml"
    world.source.resolvable[url] = Feed("blog-example", url, "Example Blog")
    marie = world.fake.chats.add(FakeChat(4848, language="fr"))
    (offer,) = await world.say(marie, url)
    assert offer.text == f"Abonner ce chat à {url}\u00a0?"
    keyboard = offer.params["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "S’abonner", "callback_data": "suburl"}]]
    message = world.fake.chats.message(marie, offer.message_id, offer.text, None, offer.params)
    before = len(world.fake.sent_to(marie.id))
    await world.fake.push(button_press(marie, marie.id, message, "suburl"))
    await world.fake.wait_until(lambda: len(world.fake.sent_to(marie.id)) > before)
    assert world.fake.sent_to(marie.id)[-1].text.startswith("Abonné à Example Blog (blog-example).")


async def test_a_channels_language_is_shown_and_set_from_a_private_chat(world: World) -> None:
    olena = world.fake.chats.add(FakeChat(4949, language="uk"))
    channel = world.fake.chats.add(
        FakeChat(
            -100600,
            "channel",
            title="Daily",
            username="daily_uk",
            admins={4949},
            bot_admin=True,
            bot_can_post=True,
        )
    )
    (shown,) = await world.say(olena, "/language @daily_uk")
    assert shown.text.startswith("@daily_uk: Мова бота тут: English.")  # not hers
    (done,) = await world.say(olena, "/language @daily_uk uk")
    assert done.text.startswith("@daily_uk: Тепер мова бота тут: Українська — у відповідях")
    assert (await world.storage.get_chat(tg(channel.id))).language == "uk"


async def test_the_apology_comes_in_the_users_language(world: World) -> None:
    olena = world.fake.chats.add(FakeChat(5050, language="uk"))
    world.fake.chats.add(FakeChat(-100700, "channel", username="some_channel", admins={5050}))
    world.fake.fail("getChatMember", 500, "Internal Server Error")
    (reply,) = await world.say(olena, "/subscribe @some_channel world")
    assert reply.text == "Вибачте, у мене щось пішло не так. Спробуйте ще раз за хвилину."
