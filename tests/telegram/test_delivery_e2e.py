"""Pushes end to end: Pipeline -> outbox (SQLite) -> Deliverer -> TelegramNotifier (real PTB)
-> the fake Bot API, with the failures Telegram produces."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot.core.models import DeliveryState
from tests.fakes import count_pending, pending_deliveries
from tests.telegram.conftest import TECH, WORLD, World, tg
from tests.telegram.fake_chats import FakeChat, bot_status_change, button_press
from tests.telegram.tg_html import utf16_len


async def subscribed(world: World, chat: FakeChat, target: str = "world", **kw: Any) -> FakeChat:
    world.fake.chats.add(chat)
    sender = 11 if chat.type != "private" else None
    (reply,) = await world.say(chat, f"/subscribe {target}", sender=sender, **kw)
    assert reply.text.startswith("Subscribed to"), reply.text
    return chat


async def test_a_new_story_reaches_every_subscribed_chat_exactly_once(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    bob = await subscribed(world, FakeChat(4343))
    newsroom = await subscribed(world, FakeChat(-100777, "supergroup", admins={11}))
    forum = FakeChat(-100888, "supergroup", admins={11}, is_forum=True, topics={7})
    await subscribed(world, forum, thread=7)
    tech_only = await subscribed(world, FakeChat(4444), "tech")
    replies = len(world.fake.sent)

    story = world.story(WORLD, title="Ukrainian troops push into Kursk region")
    await world.publish(WORLD, story)
    await world.deliver()
    await world.publish(WORLD)  # polled again: nothing new
    await world.deliver()

    pushed = world.fake.sent[replies:]
    assert sorted(m.chat_id for m in pushed) == sorted([alice.id, bob.id, newsroom.id, forum.id])
    assert all(m.text.startswith("Ukrainian troops push into Kursk region\n") for m in pushed)
    assert all(m.links == [story.link] and m.parse_mode == "HTML" for m in pushed)
    assert [m.thread_id for m in pushed if m.chat_id == forum.id] == [7]
    assert world.fake.sent_to(tech_only.id)[replies:] == []
    assert await count_pending(world.storage) == 0


async def test_an_alert_arrives_prefixed_with_what_matched(world: World) -> None:
    alice = world.fake.chats.add(FakeChat(4242))
    (reply,) = await world.say(alice, "/alert kursk OR sudzha")
    assert reply.text.startswith("Alert 1 set")
    await world.publish(TECH, world.story(TECH, title="Drones over Sudzha", summary="Quiet."))
    await world.deliver()
    (alert,) = world.fake.sent_to(alice.id)[1:]
    assert alert.text.startswith('Alert "sudzha": Drones over Sudzha\nQuiet.\nTech Today · ')
    assert "<b>" not in alert.raw.split("<b>")[0]  # the prefix itself is plain text
    assert alert.params.get("reply_markup") is None  # buttons are off by default


async def test_a_429_storm_loses_nothing(world: World) -> None:
    chats = [await subscribed(world, FakeChat(5000 + i)) for i in range(5)]
    replies = len(world.fake.sent)
    world.fake.fail(
        "sendMessage", 429, "Too Many Requests: retry after 0.05", times=12, retry_after=0.05
    )
    await world.publish(WORLD, world.story(WORLD), world.story(WORLD))
    await world.deliver(rounds=60)

    assert world.fake.flood_refusals == 12
    for chat in chats:
        got = world.fake.sent_to(chat.id)[1:]
        assert [m.text.split("\n")[0] for m in got] == [
            "Story number 1 happened",
            "Story number 2 happened",
        ]
    assert len(world.fake.sent) - replies == 10
    assert await count_pending(world.storage) == 0


async def test_a_blocked_chat_stops_receiving_until_it_talks_again(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    bob = await subscribed(world, FakeChat(4343))
    alice.blocked = True
    for _ in range(4):
        await world.publish(WORLD, world.story(WORLD))
        await world.deliver(rounds=5, step=3600)
    tries = world.fake.attempts("sendMessage", alice.id)
    settings = await world.storage.get_chat(tg(alice.id))
    assert not settings.available and settings.failures == 3
    assert len(world.fake.sent_to(bob.id)) == 1 + 4
    assert len(world.fake.sent_to(alice.id)) == 1  # only the /subscribe reply

    await world.publish(WORLD, world.story(WORLD))
    await world.deliver(rounds=5, step=3600)
    assert world.fake.attempts("sendMessage", alice.id) == tries  # not even tried

    # Unblocking shows up as a my_chat_member update: the chat is reachable again.
    alice.blocked = False
    await world.fake.push(bot_status_change(alice, "kicked", "member"))

    async def available() -> bool:
        return (await world.storage.get_chat(tg(alice.id))).available

    await world.eventually(available)
    await world.deliver(rounds=10, step=3600)
    assert len(world.fake.sent_to(alice.id)) == 1 + 5  # every story, nothing lost


async def test_talking_to_the_bot_makes_a_blocked_chat_available(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    alice.blocked = True
    for _ in range(3):
        await world.publish(WORLD, world.story(WORLD))
        await world.deliver(rounds=5, step=3600)
    assert not (await world.storage.get_chat(tg(alice.id))).available
    alice.blocked = False
    await world.say(alice, "/help")
    assert (await world.storage.get_chat(tg(alice.id))).available
    await world.deliver(rounds=10, step=3600)
    assert len(world.fake.sent_to(alice.id)) == 1 + 1 + 3


async def test_a_migrated_group_gets_the_story_under_its_new_id(world: World) -> None:
    old = await subscribed(world, FakeChat(-555, "group", admins={11}))
    new = world.fake.chats.add(FakeChat(-100555, "supergroup", admins={11}))
    old.migrated_to = new.id
    await world.publish(WORLD, world.story(WORLD, title="Markets rally"))
    await world.deliver()
    (moved,) = world.fake.sent_to(new.id)
    assert moved.text.startswith("Markets rally")
    assert [f.id for f in await world.storage.subscriptions(tg(new.id))] == ["world"]
    assert await world.storage.subscriptions(tg(old.id)) == []


async def test_a_10000_character_summary_is_trimmed_at_a_sentence(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    sentence = "Officials in Kyiv & Kursk said <nothing> about the 🚀 strikes on Tuesday. "
    summary = (sentence * 140)[:10_000]
    assert len(summary) == 10_000
    story = world.story(WORLD, title="A very long report", summary=summary)
    await world.publish(WORLD, story)
    await world.deliver()

    (brief,) = world.fake.sent_to(alice.id)[1:]
    assert brief.parse_mode == "HTML"  # the fake parsed it like Telegram does
    assert 4000 < utf16_len(brief.text) <= 4096
    headline, body, footer = brief.text.split("\n")
    assert headline == "A very long report"
    assert body.endswith("on Tuesday.") and body.startswith(sentence.strip())
    assert footer.startswith("World News · ")
    assert brief.links == [story.link]
    assert re.search(r"&lt;nothing&gt;", brief.raw) and "&amp; Kursk" in brief.raw


async def test_refused_html_is_resent_as_plain_text(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await subscribed(world, FakeChat(4242))
    world.fake.fail(
        "sendMessage", 400, "Bad Request: can't parse entities: bad tag", chat_id=alice.id
    )
    await world.publish(WORLD, world.story(WORLD, title="Plain it is"))
    with caplog.at_level(logging.WARNING):
        await world.deliver()
    (plain,) = world.fake.sent_to(alice.id)[1:]
    assert plain.parse_mode is None and plain.text.startswith("Plain it is\n")
    brief = (await world.storage.latest(["world"], 1))[0]
    assert any(f"brief {brief.id}" in r.getMessage() for r in caplog.records)


async def test_network_errors_are_retried_later(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    world.fake.fail("sendMessage", 502, "Bad Gateway", times=2, chat_id=alice.id)
    await world.publish(WORLD, world.story(WORLD, title="Eventually"))
    await world.deliverer.drain()
    (row,) = await pending_deliveries(world.storage, tg(alice.id))
    assert row.state == DeliveryState.PENDING and row.attempts == 1
    await world.deliver(rounds=10, step=60)
    assert [m.text.split("\n")[0] for m in world.fake.sent_to(alice.id)[1:]] == ["Eventually"]


@pytest.mark.parametrize(
    "bot_settings", [{"telegram_link_preview": True, "telegram_buttons": True}]
)
async def test_link_preview_and_button_row_by_setting(world: World) -> None:
    alice = await subscribed(world, FakeChat(4242))
    story = world.story(WORLD, title="With buttons")
    await world.publish(WORLD, story)
    await world.deliver()
    (brief,) = world.fake.sent_to(alice.id)[1:]
    assert brief.params["link_preview_options"] == {"is_disabled": False, "url": story.link}
    row = brief.params["reply_markup"]["inline_keyboard"][0]
    assert row == [
        {"text": "Read", "url": story.link},
        {"text": "Unsubscribe", "callback_data": "unsub:world"},
    ]
    message = world.fake.chats.message(alice, brief.message_id, brief.text, None, brief.params)
    await world.fake.push(button_press(alice, alice.id, message, "unsub:world"))
    await world.fake.wait_until(lambda: len(world.fake.sent_to(alice.id)) == 3)
    assert world.fake.sent_to(alice.id)[-1].text == "Unsubscribed from world."
    assert await world.storage.subscriptions(tg(alice.id)) == []


async def test_a_long_digest_and_a_notice_go_out_as_valid_messages(world: World) -> None:
    alice = world.fake.chats.add(FakeChat(4242))
    summary = "A long first sentence " * 12 + "ends here. Second sentence."
    stories = [world.story(WORLD, summary=summary) for _ in range(60)]
    await world.publish(WORLD, *stories)
    briefs = await world.storage.latest(["world"], 60)
    await world.adapter.notifier.send_digest(
        tg(alice.id), "Your 08:00 briefing: 60 stories", briefs
    )
    parts = world.fake.sent_to(alice.id)
    assert len(parts) > 1 and all(p.parse_mode == "HTML" for p in parts)
    lines = [line for p in parts for line in p.text.split("\n")]
    assert lines[0] == "Your 08:00 briefing: 60 stories"
    assert len(lines) == 61 and all(line.startswith("• Story number ") for line in lines[1:])

    await world.adapter.notifier.send_text(tg(alice.id), "The feed <x> & co was paused.")
    assert world.fake.sent_to(alice.id)[-1].text == "The feed <x> & co was paused."
