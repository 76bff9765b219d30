"""Living briefs through real PTB and the fake Bot API: a pushed brief is edited (not re-sent)
when later sources join its story, once per 10 minutes; a deleted message is given up."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from bot.core.delivery import Deliverer
from bot.core.models import Feed, Platform, Story
from tests.core.delivery_support import TimeMachine
from tests.telegram.conftest import TECH, WORLD, World
from tests.telegram.fake_bot_api import Sent
from tests.telegram.fake_chats import FakeChat

WIRE = Feed("wire", "https://feeds.example/wire.xml", "Wire")


async def _pushed(world: World) -> tuple[Story, Sent]:
    """Alice follows the world feed and gets one of its stories."""
    alice = world.fake.chats.add(FakeChat(4242))
    await world.say(alice, "/subscribe world")
    story = world.story(WORLD, title="Kursk incursion widens", summary="Troops crossed.")
    await world.publish(WORLD, story)
    await world.deliver()
    (sent,) = [m for m in world.fake.sent_to(alice.id) if "Kursk" in m.text]
    assert "also" not in sent.text
    return story, sent


async def _join(world: World, story: Story, feed: Feed) -> None:
    brief = await world.storage.brief_for_story(story.key)
    assert brief is not None
    again = replace(story, feed_id=feed.id, guid=f"{story.guid}-{feed.id}")
    await world.storage.add_source(again, brief.id, world.clock.now(), deliver=True)


async def test_two_sources_joining_within_ten_minutes_make_one_edit(world: World) -> None:
    await world.storage.sync_catalogue([WORLD, TECH, WIRE])
    story, sent = await _pushed(world)
    world.clock.advance(60)
    await _join(world, story, TECH)
    await world.deliverer.drain()
    assert world.fake.edited == []  # due 10 minutes after the message was sent
    world.clock.advance(120)
    await _join(world, story, WIRE)
    world.clock.advance(600)
    assert await world.deliverer.drain() == 1
    (edited,) = world.fake.edited
    assert edited.message_id == sent.message_id and edited.chat_id == sent.chat_id
    assert "World News · " in edited.text and "also Tech Today, Wire" in edited.text
    assert edited.parse_mode == "HTML" and "<b><a href=" in edited.raw
    world.clock.advance(3600)
    await world.deliverer.drain()
    assert len(world.fake.edited) == 1
    assert len([m for m in world.fake.sent if "Kursk" in m.text]) == 1  # never re-sent


async def test_a_deleted_message_is_given_up_not_retried(world: World) -> None:
    story, sent = await _pushed(world)
    world.fake.deleted.add(sent.message_id)
    await _join(world, story, TECH)
    world.clock.advance(601)
    assert await world.deliverer.drain() == 1
    for _ in range(3):
        world.clock.advance(3600)
        await world.deliverer.drain()
    assert world.fake.attempts("editMessageText") == 1 and world.fake.edited == []


async def test_edits_keep_the_chats_pace(world: World) -> None:
    alice = world.fake.chats.add(FakeChat(4242))
    await world.say(alice, "/subscribe world")
    stories = [world.story(WORLD, title=f"Story {n}", summary="Words.") for n in (1, 2)]
    await world.publish(WORLD, *stories)
    await world.deliver()
    for story in stories:
        await _join(world, story, TECH)
    # A deliverer on a virtual clock (its sleeps advance it), past the edits' 10 minutes.
    clock = TimeMachine(world.clock.now() + timedelta(seconds=601))
    clock.mono = time.monotonic() + 601  # after the sends the shared pacer saw
    deliverer = Deliverer(
        world.storage,
        {Platform.TELEGRAM: world.adapter.notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    assert await deliverer.drain() == 2
    assert [e.text.split("\n")[0] for e in world.fake.edited] == ["Story 1", "Story 2"]
    assert all("also Tech Today" in e.text for e in world.fake.edited)
    assert [round(s, 3) for s in clock.slept if s > 0] == [1.0]  # one second apart (private)


async def test_a_message_past_telegrams_48_hours_is_not_edited(world: World) -> None:
    story, _ = await _pushed(world)
    world.clock.advance(timedelta(hours=48).total_seconds())
    await _join(world, story, TECH)
    world.clock.advance(601)
    assert await world.deliverer.drain() == 1  # the edit row, ended without a request
    world.clock.advance(3600)
    await world.deliverer.drain()
    assert world.fake.attempts("editMessageText") == 0
