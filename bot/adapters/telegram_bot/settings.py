"""``TelegramSettings``: what the Telegram adapter takes from the operator's settings.

Each field is the ``Settings`` field of the same name (``NEWSBRIEF_<NAME>``, see README); the
composition root builds it with ``Settings.part(TelegramSettings)``, so the adapter never
imports ``bot.config``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr


@dataclass(frozen=True)
class TelegramSettings:
    """Token, Bot API server, webhook and message options of the Telegram adapter."""

    telegram_token: SecretStr | None
    telegram_api_url: str
    telegram_webhook_url: str | None
    telegram_webhook_listen: str
    telegram_webhook_port: int
    telegram_webhook_secret: SecretStr | None
    telegram_link_preview: bool
    telegram_buttons: bool
    platform_startup_timeout_seconds: float
