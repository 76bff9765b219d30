"""End to end: the real discord.py, through ``DiscordAdapter``, against the fake Discord, with
the real core ``Commands`` on SQLite storage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from discord_payloads import (
    APP_ID,
    DM_ID,
    FORUM_ID,
    GUILD_ID,
    MEMBER,
    TEXT_ID,
    THREAD_ID,
    ChannelOpt,
)
from discord_support import crashed, discord_settings, run, story
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.core.commands import Commands
from bot.core.models import ChatRef, Platform, Reply
from bot.core.ports import Summarised
from bot.storage import SqlStorage
from tests.fakes import T0, FakeFeedSource, FixedClock


async def test_start_registers_the_news_group_globally(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    assert fake.identify is not None
    assert fake.identify["intents"] == 1  # guilds only: no privileged intent
    assert fake.count("PUT", rf"/applications/{APP_ID}/commands") == 1
    (news,) = fake.synced["global"]
    assert news["name"] == "news" and news["type"] == 1
    assert news.get("default_member_permissions") is None
    subs = {o["name"]: o for o in news["options"]}
    assert sorted(subs) == sorted(
        [
            "subscribe",
            "unsubscribe",
            "list",
            "latest",
            "feeds",
            "alert",
            "digest",
            "quiet",
            "status",
            "import",
            "export",
            "language",
            "help",
            "importance",
        ]
    )
    assert subs["alert"]["type"] == 2
    assert [o["name"] for o in subs["alert"]["options"]] == ["add", "remove", "list"]

    def options(name: str) -> dict[str, dict]:
        return {o["name"]: o for o in subs[name].get("options", [])}

    assert options("subscribe")["target"]["required"] is True
    assert options("subscribe")["target"]["autocomplete"] is True
    assert 15 in options("subscribe")["channel"]["channel_types"]  # forum channels
    assert options("latest")["query"]["required"] is False
    assert options("latest")["count"]["min_value"] == 1
    assert options("latest")["count"]["max_value"] == 20
    assert options("feeds")["topic"]["autocomplete"] is True
    assert set(options("digest")) == {"times", "timezone", "channel"}
    assert set(options("quiet")) == {"hours", "timezone", "channel"}
    assert options("import")["file"]["type"] == 11 and options("import")["file"]["required"]
    assert str(GUILD_ID) not in fake.synced


CHANNEL = ChatRef(Platform.DISCORD, str(TEXT_ID))
NO_MENTIONS = {"parse": []}


async def test_subscribe_defers_then_answers_publicly(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    log = await run(fake, adapter, fake.command("subscribe", {"target": "world-news"}))
    assert [c["type"] for c in log.callbacks] == [5]  # deferred first
    (reply,) = log.messages
    assert reply.content.startswith("Subscribed to World News (world-news).")
    assert "/news latest shows the last ones" in reply.content  # core names rewritten
    assert reply.ephemeral is False
    assert reply.allowed_mentions == NO_MENTIONS
    assert [f.id for f in await storage.subscriptions(CHANNEL)] == ["world-news"]


async def test_member_without_manage_channels_is_refused(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    payload = fake.command("subscribe", {"target": "world-news"}, permissions=MEMBER)
    log = await run(fake, adapter, payload)
    assert [c["type"] for c in log.callbacks] == [4]  # answered at once, no defer
    (reply,) = log.messages
    assert reply.ephemeral is True
    assert "Manage Channels" in reply.content
    assert reply.allowed_mentions == NO_MENTIONS
    assert await storage.subscriptions(CHANNEL) == []
    # ...and the same goes for a change made to another channel from here.
    payload = fake.command(
        "alert add", {"query": "kursk", "channel": ChannelOpt(FORUM_ID)}, permissions=MEMBER
    )
    log = await run(fake, adapter, payload)
    assert log.messages[0].ephemeral and "Manage Channels" in log.messages[0].content
    assert await storage.alerts() == []


async def test_members_may_read_latest_feeds_and_help(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    latest = await run(fake, adapter, fake.command("latest", permissions=MEMBER))
    assert "No stories yet" in latest.messages[0].content
    feeds = await run(fake, adapter, fake.command("feeds", {"topic": "tech"}, permissions=MEMBER))
    assert feeds.messages[0].ephemeral is True
    assert "tech-daily: Tech Daily" in feeds.messages[0].content
    help_ = await run(fake, adapter, fake.command("help", permissions=MEMBER))
    assert help_.messages[0].ephemeral is True
    text = help_.messages[0].content
    assert "/news alert remove <id>" in text and "/news list" in text and "/unalert" not in text


async def test_latest_sends_briefs_as_embeds(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage, clock: FixedClock
) -> None:
    for n in range(3):
        await storage.record_story(
            story("world-news", n, f"Headline {n}", image_url="https://img.example/1.jpg"),
            Summarised(f"Headline {n}", f"Summary *{n}*."),
            clock.now(),
            deliver=False,
        )
    log = await run(fake, adapter, fake.command("latest", {"query": "world", "count": 2}))
    (reply,) = log.messages
    assert reply.content == "The latest 2 stories:" and not reply.ephemeral
    first = reply.embeds[0]
    assert first["title"] == "Headline 2"
    assert first["url"] == "https://example.org/world-news/2"
    assert first["description"] == "Summary \\*2\\*."  # markdown escaped
    assert first["footer"]["text"] == "World News"
    assert first["timestamp"] == (T0 + timedelta(minutes=2)).isoformat()
    assert first["thumbnail"]["url"] == "https://img.example/1.jpg"
    assert len(reply.embeds) == 2


async def test_errors_are_ephemeral_even_after_a_public_defer(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    log = await run(fake, adapter, fake.command("unsubscribe", {"target": "tech-daily"}))
    assert log.callbacks[0]["type"] == 5 and not log.callbacks[0].get("data", {}).get("flags")
    assert fake.count("DELETE", r"/webhooks/\d+/[^/]+/messages/@original") == 1
    (reply,) = log.messages
    assert reply.ephemeral is True
    assert 'does not follow "tech-daily"' in reply.content


async def test_alerts_add_list_remove(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    added = await run(fake, adapter, fake.command("alert add", {"query": "kursk OR sudzha"}))
    assert added.messages[0].content.startswith("Alert 1 set")
    listed = await run(fake, adapter, fake.command("alert list"))
    assert "1: kursk OR sudzha" in listed.messages[0].content
    assert "/news alert remove <id> removes one" in listed.messages[0].content
    bad = await run(fake, adapter, fake.command("alert add", {"query": "OR kursk"}))
    assert bad.messages[0].ephemeral is True and '"OR" must stand' in bad.messages[0].content
    removed = await run(fake, adapter, fake.command("alert remove", {"id": 1}))
    assert removed.messages[0].content == "Alert 1 removed."
    assert await storage.alerts() == []


async def test_digest_sets_times_and_zone(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    log = await run(
        fake, adapter, fake.command("digest", {"times": "08:00,18:00", "timezone": "Europe/Kyiv"})
    )
    assert log.messages[0].content.startswith("Digests at 08:00, 18:00 (Europe/Kyiv)")
    settings = await storage.get_chat(CHANNEL)
    assert settings.digest_times == ("08:00", "18:00") and settings.timezone == "Europe/Kyiv"
    # Reading the schedule is open to members; changing it is not.
    shown = await run(fake, adapter, fake.command("digest", permissions=MEMBER))
    assert "Digests at 08:00, 18:00" in shown.messages[0].content
    refused = await run(fake, adapter, fake.command("digest", {"times": "off"}, permissions=MEMBER))
    assert refused.messages[0].ephemeral and "Manage Channels" in refused.messages[0].content


async def test_quiet_sets_hours_and_only_admins_change_them(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    log = await run(
        fake, adapter, fake.command("quiet", {"hours": "22:00-07:00", "timezone": "Europe/Kyiv"})
    )
    assert "22:00-07:00" in log.messages[0].content
    settings = await storage.get_chat(CHANNEL)
    assert (settings.quiet_start, settings.quiet_end) == ("22:00", "07:00")
    refused = await run(fake, adapter, fake.command("quiet", {"hours": "off"}, permissions=MEMBER))
    assert refused.messages[0].ephemeral and "Manage Channels" in refused.messages[0].content
    assert (await storage.get_chat(CHANNEL)).quiet_start == "22:00"


async def test_autocomplete_offers_feeds_topics_and_zones(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    log = await fake.interact(fake.command("subscribe", {"target": "te"}, focused="target"))
    await fake.wait_for(lambda: bool(log.callbacks), check=lambda: crashed(adapter))
    (callback,) = log.callbacks
    assert callback["type"] == 8
    choices = {c["value"]: c["name"] for c in callback["data"]["choices"]}
    assert choices == {"tech-daily": "tech-daily · Tech Daily", "tech": "topic: tech"}
    log = await fake.interact(fake.command("digest", {"timezone": "kyiv"}, focused="timezone"))
    await fake.wait_for(lambda: bool(log.callbacks))
    assert [c["value"] for c in log.callbacks[0]["data"]["choices"]] == ["Europe/Kyiv"]


async def test_thread_and_dm_are_chats_of_their_own(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    await run(fake, adapter, fake.command("subscribe", {"target": "tech"}, channel_id=THREAD_ID))
    thread = ChatRef(Platform.DISCORD, str(THREAD_ID))
    assert [f.id for f in await storage.subscriptions(thread)] == ["tech-daily"]
    # In a DM the caller owns the chat: no Manage Channels needed.
    await run(
        fake,
        adapter,
        fake.command("subscribe", {"target": "world"}, channel_id=DM_ID, permissions=0),
    )
    dm = ChatRef(Platform.DISCORD, str(DM_ID))
    assert [f.id for f in await storage.subscriptions(dm)] == ["world-news"]
    assert await storage.subscriptions(CHANNEL) == []


async def test_unexpected_failure_is_logged_and_answered_politely(
    fake: FakeDiscord,
    storage: SqlStorage,
    source: FakeFeedSource,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(Commands):
        async def status(self, chat: ChatRef) -> Reply:
            raise RuntimeError("database on fire")

    bot = DiscordAdapter(
        discord_settings(fake), Broken(storage, source, clock), guild_ready_timeout=0
    )
    await bot.start()
    try:
        log = await fake.interact(fake.command("status"))
        await fake.wait_for(lambda: bool(log.messages), check=lambda: crashed(bot))
    finally:
        await bot.stop()
    (reply,) = log.messages
    assert reply.ephemeral is True and reply.content.startswith("Sorry, something went wrong")
    assert "database on fire" not in reply.content
    (record,) = [r for r in caplog.records if r.name == "bot.adapters.discord_bot.slash"]
    assert record.levelname == "ERROR" and record.exc_info is not None
