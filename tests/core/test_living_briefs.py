"""Edits of pushed briefs in the Deliverer: through the chat's pace, 429s wait, never lost."""

from __future__ import annotations

from dataclasses import replace

from bot.core.delivery import Deliverer
from bot.core.errors import RateLimited
from bot.core.models import ChatRef, Feed, Platform
from bot.core.ports import Summarised
from tests.core.delivery_support import TimeMachine
from tests.fakes import FakeStorage, RecordingNotifier, make_story

CHAT = ChatRef(Platform.TELEGRAM, "4242")
FEEDS = [Feed("a", "https://a.example/rss", "A"), Feed("b", "https://b.example/rss", "B")]


async def _two_pushed_then_joined() -> tuple[
    FakeStorage, TimeMachine, RecordingNotifier, Deliverer
]:
    storage, clock = FakeStorage(), TimeMachine()
    await storage.sync_catalogue(FEEDS)
    await storage.subscribe(CHAT, ["a"], clock.now())
    stories = [make_story(n, "a") for n in (1, 2)]
    briefs = [
        await storage.record_story(s, Summarised(s.title, "S."), clock.now(), deliver=True)
        for s in stories
    ]
    notifier = RecordingNotifier(message_ids=True)  # 1 s between messages to one chat
    deliverer = Deliverer(
        storage,
        {Platform.TELEGRAM: notifier},
        clock,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    await deliverer.drain()
    for story, brief in zip(stories, briefs, strict=True):
        again = replace(story, feed_id="b", guid=story.guid + "-b")
        await storage.add_source(again, brief.id, clock.now(), deliver=True)
    clock.advance(600)
    clock.slept.clear()
    return storage, clock, notifier, deliverer


def _edits(notifier: RecordingNotifier) -> list[object]:
    return [p for k, _, p in notifier.log if k == "edit"]


async def test_edits_keep_the_chats_pace() -> None:
    _, clock, notifier, deliverer = await _two_pushed_then_joined()
    assert await deliverer.drain() == 2
    assert _edits(notifier) == [("m1", ("B",)), ("m2", ("B",))]
    assert [s for s in clock.slept if s > 0] == [1.0]  # the second edit waited its turn
    clock.advance(7200)
    assert await deliverer.drain() == 0


async def test_a_429_on_an_edit_holds_the_chats_edits_and_loses_none() -> None:
    _, clock, notifier, deliverer = await _two_pushed_then_joined()
    notifier.failures[CHAT].append(RateLimited(30))
    assert await deliverer.drain() == 2
    assert _edits(notifier) == []  # refused; the other edit waits with it
    clock.advance(31)
    assert await deliverer.drain() == 2
    assert _edits(notifier) == [("m1", ("B",)), ("m2", ("B",))]
