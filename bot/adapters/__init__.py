"""Chat platform adapters (Telegram, Discord, console)."""
