"""Discord adapter (discord.py): the ``/news`` command group in, briefs as embeds out.

``DiscordAdapter(settings, commands)`` implements the chat-adapter contract of ``bot.app``
(``notifier``, ``start()``, ``stop()``); see ``adapter.py``. discord.py is imported only
inside this package.
"""

from bot.adapters.discord_bot.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
