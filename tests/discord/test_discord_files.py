"""``/news import file:`` and ``/news export`` end to end: an attachment option in the fake
Discord -> the real discord.py (Attachment.read from the fake's CDN) -> the real core, with the
real feed source against loopback feeds -> progress in the edited response, a summary, and an
OPML file uploaded with the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord_payloads import MEMBER, TEXT_ID, THREAD_ID
from discord_support import run
from fake_discord import FakeDiscord

from bot.adapters.discord_bot import DiscordAdapter
from bot.config import Settings
from bot.core.models import ChatRef, Platform
from bot.core.opml import parse_opml
from bot.feeds.settings import FetchSettings
from bot.feeds.source import HttpFeedSource, open_feed_source
from bot.storage import SqlStorage
from tests.fakes import FixedClock
from tests.loopback import BOMB, ManyFeeds, opml

CHANNEL = ChatRef(Platform.DISCORD, str(TEXT_ID))
THREAD = ChatRef(Platform.DISCORD, str(THREAD_ID))


@pytest.fixture
async def source(clock: FixedClock) -> AsyncIterator[HttpFeedSource]:
    """The real feed source, loopback allowed (replaces the fake one of conftest)."""
    settings = Settings(_env_file=None, allow_private_urls=True)  # type: ignore[call-arg]
    real = open_feed_source(settings.part(FetchSettings), clock)
    yield real
    await real.aclose()


async def urls(storage: SqlStorage, chat: ChatRef) -> list[str]:
    return sorted(f.url for f in await storage.subscriptions(chat))


async def test_import_edits_its_progress_then_sums_up_and_export_round_trips(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage, many_feeds: ManyFeeds
) -> None:
    listed = [many_feeds.url(n) for n in (1, 2, 3)]
    attached = fake.attach(opml(*listed), "mine.opml")
    log = await run(fake, adapter, fake.command("import", {"file": attached}))
    assert [c["type"] for c in log.callbacks] == [5]  # deferred, visibly
    assert [e.content for e in log.edits] == ["Checking 3 feeds…", "3 of 3 checked"]
    assert not any(e.ephemeral for e in log.edits)
    (summary,) = log.messages
    assert summary.content.startswith(
        "Import done: 3 in the list, 3 added, 0 already followed, 0 refused."
    )
    assert "/news list lists what this chat follows" in summary.content
    assert summary.ephemeral is False
    assert await urls(storage, CHANNEL) == sorted(listed)
    assert fake.downloads == [attached.id]

    log = await run(fake, adapter, fake.command("export"))
    (exported,) = log.messages
    assert exported.content.startswith("This chat's 3 feeds as OPML")
    ((name, data),) = exported.files
    assert name == f"newsbrief-discord-{TEXT_ID}.opml"
    assert sorted(o.url for o in parse_opml(data)) == sorted(listed)

    # The exported file imported in a thread gives the thread the same subscriptions.
    again = fake.attach(data, name)
    log = await run(fake, adapter, fake.command("import", {"file": again}, channel_id=THREAD_ID))
    assert log.messages[0].content.startswith("Import done: 3 in the list, 3 added")
    assert await urls(storage, THREAD) == await urls(storage, CHANNEL)


async def test_hostile_files_and_members_are_refused_and_change_nothing(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage, many_feeds: ManyFeeds
) -> None:
    bomb = fake.attach(BOMB, "lol.opml")
    log = await run(fake, adapter, fake.command("import", {"file": bomb}))
    (reply,) = log.messages
    assert reply.ephemeral and reply.content.startswith("That file declares a DTD or XML entities")
    assert log.edits == []  # no progress was shown

    huge = fake.attach(b"", "huge.opml", size=20 * 1024 * 1024)
    log = await run(fake, adapter, fake.command("import", {"file": huge}))
    (reply,) = log.messages
    assert reply.ephemeral and "an OPML list is read up to 2 MB" in reply.content

    member = fake.attach(opml(many_feeds.url(1)), "mine.opml")
    log = await run(fake, adapter, fake.command("import", {"file": member}, permissions=MEMBER))
    assert log.messages[0].ephemeral and "Manage Channels" in log.messages[0].content

    assert fake.downloads == [bomb.id]  # neither the huge file nor the member's was fetched
    assert await storage.subscriptions(CHANNEL) == [] and many_feeds.served == []
    log = await run(fake, adapter, fake.command("export"))
    assert log.messages[0].content.startswith("This chat follows no feeds")
    assert log.messages[0].files == []
