"""Discord adapter (discord.py): the ``/news`` command group in, briefs as embeds out.

``DiscordAdapter(settings, commands)`` (``settings``: a ``DiscordSettings``) implements the
chat-adapter contract of ``bot.core.ports`` (``notifier``, ``start()``, ``stop()``); see
``adapter.py``. discord.py is imported only inside this package.
"""

from bot.adapters.discord_bot.adapter import DiscordAdapter
from bot.adapters.discord_bot.settings import DiscordSettings

__all__ = ["DiscordAdapter", "DiscordSettings"]
