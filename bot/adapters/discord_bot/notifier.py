"""``DiscordNotifier``: the ``Notifier`` port on discord.py.

Where briefs go. A Discord ``ChatRef`` is ``ChatRef(Platform.DISCORD, chat_id=<channel id>)``:
a text or announcement channel, a DM channel, a forum channel, or a thread. A thread is its
own channel in Discord (its id is unique and messages are posted to it directly), so a
subscription made inside a thread uses the thread's id as ``chat_id`` and delivers into that
thread; ``thread_id`` stays empty (if it is ever set, it is taken as the channel to post to).
In a forum channel every brief opens a new post (``ForumChannel.create_thread``) named after
the headline; a digest opens one post and continues inside it.

Errors, translated at this edge (``raise ... from exc``):

- discord.py sleeps and retries a proper 429 by itself, but never longer than the client's
  ``max_ratelimit_timeout``; beyond that it raises ``discord.RateLimited``, and a 429 without
  Discord's ``Via`` header (a Cloudflare ban) raises ``HTTPException(429)``. Both become core
  ``RateLimited``, so the outbox row waits and nothing is lost; the Cloudflare one is marked
  global (it refuses every request), so the pacer holds every channel for its Retry-After.
  A 429 with ``global: true`` is waited out by discord.py itself, which holds every request.
- ``Forbidden``, ``NotFound`` and the "archived or locked thread" codes become
  ``ChatUnavailable`` (the core disables the chat after repeated failures), and a notice
  explaining the fix is left for the next admin who runs ``/news`` in that server.
- Anything else (bad request, 5xx after discord.py's own retries, network errors) becomes
  ``DeliveryError``, which the outbox retries with back-off.

Pacing: ``Pace(per_chat_interval=1.0, per_second=25)``. Discord allows 5 messages per 5 s in
one channel (the ``X-RateLimit-*`` headers of ``POST /channels/{id}/messages``) and 50 requests
per second per bot; one message per second per channel keeps to the first, and 25 per second
leaves half of the global budget to command replies, syncs and forum post creation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import discord

from bot.adapters.discord_bot import render
from bot.core.errors import ChatUnavailable, DeliveryError, NewsbriefError, RateLimited
from bot.core.i18n import _
from bot.core.models import Brief, ChatRef, Platform
from bot.core.pacing import Pacer
from bot.core.ports import Pace

logger = logging.getLogger(__name__)

LeaveNotice = Callable[[ChatRef, str], Awaitable[None]]

DISCORD_PACE = Pace(per_chat_interval=1.0, per_second=25.0)
BAN_RETRY_AFTER = 60.0
"""Seconds to wait after a 429 without Discord's headers (Cloudflare) that gives no delay."""
# Discord JSON error codes that mean "this channel cannot receive from us", sent with a 400.
_UNAVAILABLE_CODES = {
    10003,  # Unknown Channel
    50001,  # Missing Access
    50007,  # Cannot send messages to this user
    50013,  # Missing Permissions
    50083,  # Operation cannot be performed on an archived thread
    160005,  # Thread is locked
}


def server_notice_ref(guild_id: int) -> ChatRef:
    """Where notices for the admins of a whole server (guild) are kept.

    Not a channel: a key in the chat settings table that ``/news`` reads for admins of that
    server wherever they run it, since they rarely run it in the channel that broke.
    """
    return ChatRef(Platform.DISCORD, f"guild:{guild_id}")


def _retry_after_header(exc: discord.HTTPException) -> float:
    headers: Any = getattr(exc.response, "headers", None) or {}
    try:
        return max(float(headers.get("Retry-After", BAN_RETRY_AFTER)), 1.0)
    except (TypeError, ValueError):
        return BAN_RETRY_AFTER


class DiscordNotifier:
    """Sends briefs, digests and notices to Discord channels, threads and forums."""

    platform = Platform.DISCORD
    pace = DISCORD_PACE

    def __init__(self, client: discord.Client, leave_notice: LeaveNotice) -> None:
        """Args:
        client: the running discord.py client (its channel cache and HTTP session).
        leave_notice: stores a notice for a chat's admins (``Commands.leave_notice``).
        """
        self._client = client
        self._leave_notice = leave_notice
        self.pacer = Pacer(self.pace, name="discord")
        """The platform's pacer (driven by the ``Deliverer``: per-channel spacing, global
        holds on a 429 without Discord's headers)."""

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        """Post one brief: a message with one embed, or a new post in a forum channel."""
        message = render.brief_message(brief, alert_terms)
        await self._deliver(chat, [message], render.thread_name(brief.title or brief.source))

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        """Post a digest: the heading, then compact embeds, split at story boundaries."""
        await self._deliver(chat, render.digest_messages(heading, briefs), heading)

    async def send_text(self, chat: ChatRef, text: str) -> None:
        """Post a plain notice."""
        await self._deliver(chat, render.text_messages(text), text)

    async def _deliver(self, chat: ChatRef, messages: list[render.Outgoing], title: str) -> None:
        channel_id = int(chat.thread_id or chat.chat_id)
        channel = self._client.get_channel(channel_id)
        try:
            if isinstance(channel, discord.ForumChannel):
                await self._post_in_forum(channel, messages, render.thread_name(title))
            else:
                # Threads that are archived and DM channels are often not cached: a partial
                # messageable posts to the id directly, without fetching the channel first.
                target = channel or self._client.get_partial_messageable(channel_id)
                if not isinstance(target, discord.abc.Messageable):
                    raise DeliveryError(f"channel {channel_id} cannot receive messages")
                for message in messages:
                    await target.send(**_kwargs(message))
        except discord.RateLimited as exc:
            raise RateLimited(exc.retry_after, "Discord rate limit") from exc
        except discord.HTTPException as exc:
            await self._http_error(chat, channel, exc)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Discord send failed: {exc!r}") from exc

    async def _post_in_forum(
        self, forum: discord.ForumChannel, messages: list[render.Outgoing], name: str
    ) -> None:
        first, *rest = messages
        created = await forum.create_thread(name=name, **_kwargs(first))
        for message in rest:
            await created.thread.send(**_kwargs(message))

    async def _http_error(self, chat: ChatRef, channel: object, exc: discord.HTTPException) -> None:
        """Translate an ``HTTPException``; always raises."""
        if exc.status == 429:
            # No Discord headers: Cloudflare refusing the bot's address, i.e. every request.
            raise RateLimited(
                _retry_after_header(exc), "Discord 429 without rate-limit headers", is_global=True
            ) from exc
        if isinstance(exc, discord.Forbidden | discord.NotFound) or exc.code in _UNAVAILABLE_CODES:
            reason = f"{exc.status} {exc.text or 'error'} (code {exc.code})"
            await self._notify_admins(chat, channel, reason)
            raise ChatUnavailable(f"Discord refused delivery to {chat}: {reason}") from exc
        raise DeliveryError(f"Discord answered {exc.status}: {exc.text} (code {exc.code})") from exc

    async def _notify_admins(self, chat: ChatRef, channel: object, reason: str) -> None:
        channel_id = chat.thread_id or chat.chat_id
        guild = getattr(channel, "guild", None)
        where = server_notice_ref(guild.id) if isinstance(guild, discord.Guild) else chat
        text = _(
            "newsbrief could not post in {channel}: {reason}. Give the bot View Channel, "
            "Send Messages and Embed Links there (in a forum: Create Posts; in a thread: Send "
            "Messages in Threads, and unlock or unarchive it), then run /news subscribe in that "
            "channel again to resume deliveries.",
            channel=f"<#{channel_id}>",
            reason=reason,
        )
        try:
            await self._leave_notice(where, text)
        except NewsbriefError:
            logger.warning("could not store a notice for %s", where, exc_info=True)


def _kwargs(message: render.Outgoing) -> dict[str, Any]:
    """Keyword arguments for ``send`` / ``create_thread``: content, embeds, no mentions."""
    kwargs: dict[str, Any] = {"allowed_mentions": render.no_mentions()}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = list(message.embeds)
    return kwargs
