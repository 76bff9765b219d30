"""The Telegram chat adapter (python-telegram-bot 22): commands in, briefs out.

``TelegramAdapter(settings, commands)`` (``settings``: a ``TelegramSettings``) is all
``bot.app`` needs; see ``adapter`` for the lifecycle, ``handlers`` for commands and
permissions, ``render`` for the HTML, and ``notifier`` for delivery and error translation.
"""

from bot.adapters.telegram_bot.adapter import TelegramAdapter
from bot.adapters.telegram_bot.settings import TelegramSettings

__all__ = ["TelegramAdapter", "TelegramSettings"]
