"""End to end pushes: core ``Pipeline`` and ``Deliverer`` -> ``DiscordNotifier`` -> discord.py
-> the fake Discord; subscriptions are made with real ``/news`` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from discord_payloads import FORUM_ID, GUILD_ID, MEMBER, TEXT_ID, THREAD_ID, ChannelOpt
from discord_support import CATALOGUE, run, story
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.notifier import server_notice_ref
from bot.core.delivery import Deliverer
from bot.core.errors import ChatUnavailable, RateLimited
from bot.core.models import Brief, ChatRef, Feed, Platform, Story
from bot.core.pipeline import Pipeline
from bot.storage import SqlStorage
from tests.fakes import FakeFeedSource, FakeSummarizer, FixedClock, pending_deliveries

CHANNEL = ChatRef(Platform.DISCORD, str(TEXT_ID))
NO_MENTIONS = {"parse": []}
MESSAGES = rf"/channels/{TEXT_ID}/messages"


class World:
    """The core's push path, wired to the adapter under test."""

    def __init__(
        self,
        storage: SqlStorage,
        source: FakeFeedSource,
        clock: FixedClock,
        adapter: DiscordAdapter,
    ) -> None:
        self.storage, self.source, self.clock = storage, source, clock
        self.pipeline = Pipeline(
            storage, source, FakeSummarizer(), poll_interval=timedelta(minutes=10)
        )
        self.sleeps: list[float] = []

        async def no_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        self.deliverer = Deliverer(
            storage, {Platform.DISCORD: adapter.notifier}, clock, sleep=no_sleep
        )

    async def prime(self) -> None:
        """First poll of every feed: stores what is there, pushes nothing."""
        for feed in CATALOGUE:
            self.source.items[feed.url] = [story(feed.id, 0, f"Old news of {feed.id}")]
        await self.pipeline.poll_due(self.clock.now())

    async def publish(self, *stories: Story) -> int:
        """New stories appear; poll when due and drain the outbox once."""
        urls = {f.id: f.url for f in CATALOGUE}
        for s in stories:
            items = self.source.items[urls[s.feed_id]]
            assert isinstance(items, list)
            items.append(s)
        self.clock.advance(601)
        await self.pipeline.poll_due(self.clock.now())
        return await self.deliverer.drain()


@pytest.fixture
async def world(
    storage: SqlStorage, source: FakeFeedSource, clock: FixedClock, adapter: DiscordAdapter
) -> World:
    w = World(storage, source, clock, adapter)
    await w.prime()
    return w


async def test_subscribe_then_a_new_story_is_pushed_as_an_embed(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    assert (
        await world.publish(
            story(
                "world-news",
                5,
                "Troops cross the border",
                "Troops crossed the border on Tuesday. More followed.",
                image_url="https://img.example/a.jpg",
            )
        )
        == 1
    )
    (posted,) = fake.channel_messages
    assert posted["channel_id"] == TEXT_ID
    assert posted["allowed_mentions"] == NO_MENTIONS
    assert "content" not in posted or not posted["content"]
    (embed,) = posted["embeds"]
    assert embed["title"] == "Troops cross the border"
    assert embed["url"] == "https://example.org/world-news/5"
    assert embed["description"].startswith("Troops crossed the border on Tuesday.")
    assert embed["footer"]["text"] == "World News"
    assert embed["thumbnail"]["url"] == "https://img.example/a.jpg"
    assert await pending_deliveries(storage, CHANNEL) == []


async def test_alert_add_then_matching_story_arrives_with_its_prefix(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World
) -> None:
    await run(fake, adapter, fake.command("alert add", {"query": "kursk"}))
    # tech-daily is not subscribed here: only the alert brings the story.
    await world.publish(
        story("tech-daily", 5, "Drone maker opens plant near Kursk"),
        story("tech-daily", 6, "Chip prices fall"),
    )
    (posted,) = fake.channel_messages
    assert posted["content"] == 'Alert "kursk":'
    assert posted["embeds"][0]["title"] == "Drone maker opens plant near Kursk"
    assert posted["allowed_mentions"] == NO_MENTIONS


async def test_mentions_in_feed_text_never_ping(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    await run(fake, adapter, fake.command("alert add", {"query": "everyone"}))
    await world.publish(
        story("world-news", 5, "@everyone look at this", "<@123> and <@&456> told @here everyone.")
    )
    (posted,) = fake.channel_messages
    assert posted["allowed_mentions"] == NO_MENTIONS
    assert "@everyone" in posted["embeds"][0]["title"]
    assert "<@123>" in posted["embeds"][0]["description"]
    # Interaction answers carry the same setting (the alert echoes the user's words).
    answers = [m for log in fake.interactions.values() for m in log.messages]
    assert answers and all(m.allowed_mentions == NO_MENTIONS for m in answers)


async def test_forum_channel_gets_one_post_per_brief(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await run(
        fake,
        adapter,
        fake.command("subscribe", {"target": "world", "channel": ChannelOpt(FORUM_ID)}),
    )
    forum = ChatRef(Platform.DISCORD, str(FORUM_ID))
    assert [f.id for f in await storage.subscriptions(forum)] == ["world-news"]
    long_title = "Parliament votes" + " on a very long list of amendments" * 5
    await world.publish(story("world-news", 5, long_title), story("world-news", 6, "Second"))
    assert fake.count("POST", rf"/channels/{FORUM_ID}/threads") == 2
    first, second = fake.forum_posts
    assert first["name"] == long_title[:99].rstrip() + "…" and len(first["name"]) <= 100
    assert first["message"]["embeds"][0]["title"] == long_title
    assert first["message"]["allowed_mentions"] == NO_MENTIONS
    assert second["name"] == "Second"
    assert fake.channel_messages == []


async def test_subscription_made_in_a_thread_delivers_into_the_thread(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "tech"}, channel_id=THREAD_ID))
    await world.publish(story("tech-daily", 5, "New chip"))
    assert [m["channel_id"] for m in fake.channel_messages] == [THREAD_ID]


async def test_forbidden_marks_the_chat_and_tells_the_next_admin_once(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    fake.fail("POST", MESSAGES, 403, {"message": "Missing Permissions", "code": 50013})
    await world.publish(story("world-news", 5, "Blocked story"))
    assert (await storage.get_chat(CHANNEL)).failures == 1
    assert len(await pending_deliveries(storage, CHANNEL)) == 1  # kept for later, not lost
    assert "Missing Permissions" in (await storage.get_chat(server_notice_ref(GUILD_ID))).notice
    # A member does not see the notice; the next admin does, once, privately.
    member = await run(fake, adapter, fake.command("list", permissions=MEMBER))
    assert len(member.messages) == 1
    admin = await run(fake, adapter, fake.command("status", channel_id=THREAD_ID), messages=2)
    notice = admin.messages[1]
    assert notice.ephemeral is True
    assert notice.content.startswith(f"Notice: newsbrief could not post in <#{TEXT_ID}>")
    assert "/news subscribe" in notice.content
    again = await run(fake, adapter, fake.command("status"))
    assert len(again.messages) == 1


async def test_429_with_via_is_retried_by_discord_py(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    fake.rate_limit("POST", MESSAGES, 0.05)
    await world.publish(story("world-news", 5, "After a short wait"))
    assert fake.count("POST", MESSAGES) == 2
    assert len(fake.channel_messages) == 1
    assert await pending_deliveries(storage, CHANNEL) == []


@pytest.mark.parametrize(("retry_after", "via"), [(60.0, True), (0.05, False)])
async def test_429_that_discord_py_gives_up_on_becomes_rate_limited(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    world: World,
    storage: SqlStorage,
    retry_after: float,
    via: bool,
) -> None:
    """Too long a wait (over max_ratelimit_timeout), or no Via header (a Cloudflare ban)."""
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    fake.rate_limit("POST", MESSAGES, retry_after, via=via)
    chat = CHANNEL
    brief = (await storage.latest(["world-news"], 1))[0]
    with pytest.raises(RateLimited) as caught:
        await adapter.notifier.send_brief(chat, brief)
    assert caught.value.retry_after >= 1
    assert fake.count("POST", MESSAGES) == 1  # discord.py did not sleep and retry
    # Through the outbox: the row waits and is delivered later, nothing lost.
    fake.rate_limit("POST", MESSAGES, retry_after, via=via)
    await world.publish(story("world-news", 5, "Delayed"))
    (row,) = await pending_deliveries(storage, chat)
    assert row.next_attempt_at > world.clock.now()
    world.clock.advance(3600)
    assert await world.deliverer.drain() == 1
    assert [m["embeds"][0]["title"] for m in fake.channel_messages] == ["Delayed"]


async def test_unknown_channel_is_unavailable(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    gone = ChatRef(Platform.DISCORD, "777")
    fake.fail("POST", "/channels/777/messages", 404, {"message": "Unknown Channel", "code": 10003})
    with pytest.raises(ChatUnavailable, match="Unknown Channel"):
        await adapter.notifier.send_text(gone, "hello")


async def test_digest_is_split_at_story_boundaries(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World
) -> None:
    briefs = [
        Brief(
            id=i,
            story_key=f"k{i}",
            feed_id="world-news",
            title=f"Story {i}",
            summary=f"First sentence {i}. Second sentence.",
            link=f"https://e.org/{i}",
            source="World News",
            published=world.clock.now(),
        )
        for i in range(12)
    ]
    await adapter.notifier.send_digest(CHANNEL, "Your 08:00 briefing: 12 stories", briefs)
    first, second = fake.channel_messages
    assert first["content"] == "Your 08:00 briefing: 12 stories"
    assert len(first["embeds"]) == 10 and len(second["embeds"]) == 2
    assert first["embeds"][0]["description"] == "First sentence 0."
    assert second["embeds"][-1]["title"] == "Story 11"
    assert all(m["allowed_mentions"] == NO_MENTIONS for m in fake.channel_messages)


async def _join(storage: SqlStorage, pushed: Story, feed_id: str, at: FixedClock) -> None:
    """Another feed carries the pushed story (the cross-source merge's storage step)."""
    brief = await storage.brief_for_story(pushed.key)
    assert brief is not None
    again = Story(
        feed_id, pushed.key, pushed.guid + feed_id, pushed.link, pushed.title, pushed.published
    )
    await storage.add_source(again, brief.id, at.now(), deliver=True)


async def test_a_later_source_edits_the_posted_brief_once(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await storage.sync_catalogue([*CATALOGUE, Feed("wire", "https://wire.example/rss", "Wire")])
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    pushed = story("world-news", 5, "Troops cross the border")
    await world.publish(pushed)
    (posted,) = fake.channel_messages
    world.clock.advance(60)
    await _join(storage, pushed, "tech-daily", world.clock)
    assert await world.deliverer.drain() == 0  # due 10 minutes after the post
    world.clock.advance(120)
    await _join(storage, pushed, "wire", world.clock)  # shares the waiting edit
    world.clock.advance(600)
    assert await world.deliverer.drain() == 1
    (edited,) = fake.edited
    assert edited["id"] == posted["id"] and edited["channel_id"] == TEXT_ID
    assert edited["embeds"][0]["footer"]["text"] == "World News · also Tech Daily, Wire"
    assert len(fake.channel_messages) == 1  # edited, not re-sent
    world.clock.advance(3600)
    assert await world.deliverer.drain() == 0


async def test_a_deleted_message_is_not_edited_again_and_again(
    fake: FakeDiscord, adapter: DiscordAdapter, world: World, storage: SqlStorage
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    pushed = story("world-news", 5, "Troops cross the border")
    await world.publish(pushed)
    (posted,) = fake.channel_messages
    fake.deleted.add(posted["id"])
    await _join(storage, pushed, "tech-daily", world.clock)
    world.clock.advance(601)
    assert await world.deliverer.drain() == 1
    for _ in range(3):
        world.clock.advance(3600)
        await world.deliverer.drain()
    patches = [r for r in fake.requests if r.method == "PATCH"]
    assert len(patches) == 1 and fake.edited == []
