"""``DiscordSettings``: what the Discord adapter takes from the operator's settings.

Each field is the ``Settings`` field of the same name (``NEWSBRIEF_<NAME>``, see README); the
composition root builds it with ``Settings.part(DiscordSettings)``, so the adapter never
imports ``bot.config``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class DiscordSettings:
    """Token, API and gateway URLs and test server of the Discord adapter."""

    discord_token: SecretStr | None
    discord_api_url: str
    discord_gateway_url: str
    discord_guild_id: int | None
    platform_startup_timeout_seconds: float
    discord_shards: int = 1
