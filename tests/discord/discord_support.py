"""Helpers for the Discord adapter tests: the catalogue, a story factory, settings that point
at the fake Discord, and running slash commands against it (fakes of the ports: tests.fakes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from discord_payloads import TOKEN
from fake_discord import FakeDiscord, InteractionLog

from bot.adapters.discord_bot import DiscordAdapter
from bot.adapters.discord_bot.settings import DiscordSettings
from bot.config import Settings
from bot.core.models import Feed, Story
from tests.fakes import T0

CATALOGUE = [
    Feed("world-news", "https://example.org/world.xml", "World News", ("world",)),
    Feed("tech-daily", "https://example.org/tech.xml", "Tech Daily", ("tech", "science")),
]


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


def discord_settings(fake: FakeDiscord, **extra: Any) -> DiscordSettings:
    return Settings(
        discord_token=TOKEN,
        discord_api_url=fake.api_url,
        discord_gateway_url=fake.gateway_url,
        **extra,
    ).part(DiscordSettings)


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
