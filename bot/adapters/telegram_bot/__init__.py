"""The Telegram chat adapter (python-telegram-bot 22): commands in, briefs out.

``TelegramAdapter(settings, commands)`` is all ``bot.app`` needs; see ``adapter`` for the
lifecycle, ``handlers`` for commands and permissions, ``render`` for the HTML, and ``notifier``
for delivery and error translation.
"""

from bot.adapters.telegram_bot.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
