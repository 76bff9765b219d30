"""How Telegram updates are scheduled: concurrently across chats, in order within a chat.

PTB's ``concurrent_updates(n)`` runs up to ``n`` updates at once in any order, and waiting
updates hold one of its slots. ``ChatOrderedProcessor`` keeps each chat's updates in arrival
order (``/subscribe x`` then ``/unsubscribe x`` must not swap) and lets at most ``running``
handlers work at once across chats, but an update waiting for its own chat's earlier one
does not take a running slot: a chat that floods the bot delays only itself.

Commands that fetch a URL (``/subscribe <URL>``) do not hold their chat either: the handler
starts them as tasks of their own (``Handlers``), bounded per chat and by a deadline in the
core (``FetchLimits``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

QUEUED_UPDATES = 4096
"""PTB's own bound: updates admitted at once (running or waiting for their chat)."""


def _chat_key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of one chat one at a time, in order; up to ``running`` chats at once."""

    def __init__(self, running: int) -> None:
        super().__init__(QUEUED_UPDATES)
        self._running = asyncio.BoundedSemaphore(running)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            async with self._running:
                await coroutine
            return
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            async with lock, self._running:
                await coroutine
        finally:
            lock, users = self._chats[key]
            if users > 1:
                self._chats[key] = (lock, users - 1)
            else:
                del self._chats[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
