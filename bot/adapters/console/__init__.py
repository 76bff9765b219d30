"""A local chat in the terminal: the same commands, for trying newsbrief without tokens."""

from bot.adapters.console.chat import ConsoleAdapter, ConsoleNotifier

__all__ = ["ConsoleAdapter", "ConsoleNotifier"]
