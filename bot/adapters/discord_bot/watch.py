"""``Watch``: what discord.py's HTTP traffic tells newsbrief's Discord pacer.

discord.py handles Discord's rate limits inside each request, out of newsbrief's sight: it
sleeps and retries a 429, holds every request after a 429 with ``global: true``, and after a
post that leaves a channel's bucket at ``X-RateLimit-Remaining: 0`` it sleeps until the bucket
resets *before returning from that post*. An ``aiohttp.TraceConfig`` on the client's session
(``discord.Client(http_trace=...)``) sees every response as it arrives, so:

- a 429 marked global (``X-RateLimit-Global: true`` or ``X-RateLimit-Scope: global``) holds
  the whole platform in the ``Pacer`` for its ``Retry-After`` and lowers the rate
  (multiplicative decrease, additive recovery), as a Telegram flood limit does; a per-route
  429 on ``/channels/{id}/...`` holds that channel only. discord.py still waits and retries
  the request itself; the pacer stops the outbox from sending more into the limit meanwhile.
- ``answered(channel_id)`` is a future resolved when Discord accepted the next post to that
  channel (a 2xx), so the notifier can record the brief as sent while discord.py sleeps out
  the exhausted bucket, instead of holding an in-flight slot for up to the bucket's reset
  (with 1 post/s per channel and 5 per 5 s, every fifth post would).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.core.models import ChatRef, Platform
from bot.core.pacing import Pacer

logger = logging.getLogger(__name__)

_CHANNEL = re.compile(r"/channels/(\d+)")
_POST = re.compile(r"/channels/(\d+)/messages$")
PLATFORM = ChatRef(Platform.DISCORD, "*")
"""Stands for the whole platform in the pacer when a global 429 names no channel."""


def _seconds(headers: Any, *names: str) -> float:
    for name in names:
        try:
            return max(0.0, float(headers.get(name)))
        except (TypeError, ValueError):
            continue
    return 1.0


class Watch:
    """Feeds the Discord ``Pacer`` from discord.py's responses (module docstring)."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.config = aiohttp.TraceConfig()
        self.config.on_request_end.append(self._ended)
        self._posts: dict[int, deque[asyncio.Future[None]]] = {}

    def answered(self, channel_id: int) -> asyncio.Future[None]:
        """A future resolved when Discord accepts the next post to ``channel_id``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._posts.setdefault(channel_id, deque()).append(future)
        return future

    def forget(self, channel_id: int, future: asyncio.Future[None]) -> None:
        """Stop waiting for ``future`` (its post ended another way)."""
        queue = self._posts.get(channel_id)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self._posts[channel_id]

    async def _ended(
        self,
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        response, path = params.response, params.url.path
        if response.status == 429:
            match = _CHANNEL.search(path)
            self._limited(int(match[1]) if match else None, response.headers)
            return
        post = _POST.search(path) if params.method == "POST" else None
        if post and 200 <= response.status < 300:
            self._accepted(int(post[1]))

    def _accepted(self, channel_id: int) -> None:
        queue = self._posts.get(channel_id)
        while queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(None)
                break
        if queue is not None and not queue:
            del self._posts[channel_id]

    def _limited(self, channel_id: int | None, headers: Any) -> None:
        if not headers.get("Via"):
            return  # Cloudflare, not Discord: the notifier raises it as a global limit
        scope = (headers.get("X-RateLimit-Scope") or "").lower()
        is_global = (headers.get("X-RateLimit-Global") or "").lower() == "true" or scope == "global"
        chat = PLATFORM if channel_id is None else ChatRef(Platform.DISCORD, str(channel_id))
        if is_global:
            retry_after = _seconds(headers, "Retry-After")
            self.pacer.limited(chat, retry_after, is_global=True)
        elif channel_id is not None:
            retry_after = _seconds(headers, "X-RateLimit-Reset-After", "Retry-After")
            self.pacer.limited(chat, retry_after)
