"""Helpers for the Discord adapter tests: a movable clock, a scripted feed source, an echo
summariser, story factories, and running slash commands against the fake Discord."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from discord_payloads import TOKEN
from fake_discord import FakeDiscord, InteractionLog

from bot.adapters.discord_bot import DiscordAdapter
from bot.config import Settings
from bot.core.errors import FeedUnavailableError
from bot.core.models import Feed, FeedState, Story
from bot.core.ports import FetchResult, Summarised

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
CATALOGUE = [
    Feed("world-news", "https://example.org/world.xml", "World News", ("world",)),
    Feed("tech-daily", "https://example.org/tech.xml", "Tech Daily", ("tech", "science")),
]


@dataclass
class Clock:
    """A clock that moves only when told."""

    now_: datetime = T0

    def now(self) -> datetime:
        return self.now_

    def advance(self, seconds: float) -> None:
        self.now_ += timedelta(seconds=seconds)


@dataclass
class ScriptedSource:
    """A FeedSource whose feeds carry the stories the test puts in ``stories``."""

    stories: dict[str, list[Story]] = field(default_factory=dict)

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        return FetchResult(not_modified=False, stories=tuple(self.stories.get(feed.id, [])))

    async def resolve(self, url: str) -> Feed:
        raise FeedUnavailableError(f"{url} is not reachable in tests")

    async def enrich(self, story: Story) -> Story:
        return story


class EchoSummarizer:
    """Uses the feed's own title and teaser as the brief."""

    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        return [Summarised(s.title, s.summary) for s in stories]


def story(feed_id: str, n: int, title: str, summary: str = "", **kw: Any) -> Story:
    """A story published ``n`` minutes after T0."""
    link = f"https://example.org/{feed_id}/{n}"
    return Story(
        feed_id=feed_id,
        key=link,
        guid=link,
        link=link,
        title=title,
        published=T0 + timedelta(minutes=n),
        summary=summary or f"{title}. Details of story {n} follow here.",
        **kw,
    )


def discord_settings(fake: FakeDiscord, **extra: Any) -> Settings:
    return Settings(
        discord_token=TOKEN,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        **extra,
    )


def crashed(bot: DiscordAdapter) -> None:
    """Fail fast when the discord.py client died (it would otherwise end silently)."""
    task = bot.task
    if task is not None and task.done():
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        raise AssertionError("the Discord client stopped")


async def run(
    fake: FakeDiscord, bot: DiscordAdapter, payload: dict[str, Any], *, messages: int = 1
) -> InteractionLog:
    """Dispatch a slash command and wait until it completed and ``messages`` were sent."""
    done = bot.client.wait_for(
        "app_command_completion", check=lambda i, _c: str(i.id) == payload["id"], timeout=5
    )
    log = await fake.interact(payload)
    await fake.wait_for(lambda: len(log.messages) >= messages, check=lambda: crashed(bot))
    await done
    return log
