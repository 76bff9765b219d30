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
  A 429 with ``global: true`` is waited out by discord.py itself, which holds every request;
  the ``Watch`` on the client's HTTP trace holds and slows the pacer for it as well.
- ``Forbidden``, ``NotFound`` and the "archived or locked thread" codes become
  ``ChatUnavailable`` (the core disables the chat after repeated failures), and a notice
  explaining the fix is left for the next admin who runs ``/news`` in that server.
- Anything else (bad request, 5xx after discord.py's own retries, network errors) becomes
  ``DeliveryError``, which the outbox retries with back-off.

Living briefs (``bot.core.edits``): ``send_brief`` returns ``"<channel id>:<message id>"`` (a
forum post's message lives in its thread), and ``edit_brief`` rewrites that message (``PATCH
/channels/{id}/messages/{id}``); a 404 (Unknown Message or Channel) or 403 becomes
``MessageGone``, never retried. A post that Discord accepted while discord.py still sleeps out
the channel's bucket has no message object yet: it returns no id and is not edited.

Pacing: ``Pace(per_chat_interval=1.0, per_second=50)``. Discord allows 5 messages per 5 s in
one channel (the ``X-RateLimit-*`` headers of ``POST /channels/{id}/messages``) and 50 requests
per second per bot; one message per second per channel keeps to the first, and the pacer aims
at 95% of the second (interaction responses and follow-ups are not counted against it, as
Discord documents). A 429 marked global holds every channel and lowers the rate (``Watch``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NoReturn

import aiohttp
import discord

from bot.adapters.discord_bot import render
from bot.adapters.discord_bot.watch import Watch
from bot.core.errors import (
    ChatUnavailable,
    DeliveryError,
    MessageGone,
    NewsbriefError,
    RateLimited,
)
from bot.core.i18n import _
from bot.core.models import Brief, ChatRef, Platform
from bot.core.pacing import Pacer
from bot.core.ports import Pace

logger = logging.getLogger(__name__)

LeaveNotice = Callable[[ChatRef, str], Awaitable[None]]

DISCORD_PACE = Pace(per_chat_interval=1.0, per_second=50.0)
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


def new_pacer() -> Pacer:
    """The Discord pacer: Discord marks its global 429s, so 429s on several channels at once
    stay per-channel (``infer_global=False``)."""
    return Pacer(DISCORD_PACE, name="discord", infer_global=False)


def server_notice_ref(guild_id: int) -> ChatRef:
    """Where notices for the admins of a whole server (guild) are kept.

    Not a channel: a key in the chat settings table that ``/news`` reads for admins of that
    server wherever they run it, since they rarely run it in the channel that broke.
    """
    return ChatRef(Platform.DISCORD, f"guild:{guild_id}")


def retry_after_header(exc: discord.HTTPException) -> float:
    """The ``Retry-After`` of a 429 discord.py gave up on (``BAN_RETRY_AFTER`` if absent)."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    try:
        return max(float(headers.get("Retry-After", BAN_RETRY_AFTER)), 1.0)
    except (TypeError, ValueError):
        return BAN_RETRY_AFTER


class DiscordNotifier:
    """Sends briefs, digests and notices to Discord channels, threads and forums."""

    platform = Platform.DISCORD
    pace = DISCORD_PACE

    def __init__(
        self,
        client: discord.Client,
        leave_notice: LeaveNotice,
        watch: Watch | None = None,
        *,
        lookup: Callable[[int], Awaitable[object | None]] | None = None,
    ) -> None:
        """Args:
        client: the running discord.py client (its channel cache and HTTP session).
        leave_notice: stores a notice for a chat's admins (``Commands.leave_notice``).
        watch: the client's HTTP trace (``http_trace=watch.config``): global 429s hold the
            pacer, and a post counts as sent once Discord accepted it.
        lookup: finds a channel by id (default: ``client``'s cache).
        """
        self._client = client
        self._lookup = lookup or self._cached
        self._leave_notice = leave_notice
        self.pacer = watch.pacer if watch is not None else new_pacer()
        """The platform's pacer (driven by the ``Deliverer``: per-channel spacing, global
        holds on a 429 marked global or without Discord's headers)."""
        self._watch = watch
        self.posting: set[asyncio.Future[Any]] = set()
        """Posts Discord accepted while discord.py still sleeps out their channel's bucket."""

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> str | None:
        """Post one brief: a message with one embed, or a new post in a forum channel.
        Returns ``"<channel id>:<message id>"`` for ``edit_brief`` (when known)."""
        message = render.brief_message(brief, alert_terms)
        posted = await self._deliver(
            chat, [message], render.thread_name(brief.title or brief.source)
        )
        return None if posted is None else f"{posted.channel.id}:{posted.id}"

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        """Rewrite a posted brief with its sources as they are now."""
        channel_id, _sep, own_id = message_id.partition(":")
        try:
            partial = self._client.get_partial_messageable(int(channel_id))
            await partial.get_partial_message(int(own_id)).edit(
                **_kwargs(render.brief_message(brief, alert_terms))
            )
        except ValueError as exc:
            raise MessageGone(f"not a Discord message id: {message_id!r}") from exc
        except discord.RateLimited as exc:
            raise RateLimited(exc.retry_after, "Discord rate limit") from exc
        except (discord.NotFound, discord.Forbidden) as exc:
            raise MessageGone(f"Discord: {exc.status} {exc.text} (code {exc.code})") from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RateLimited(retry_after_header(exc), "Discord 429", is_global=True) from exc
            if exc.code in _UNAVAILABLE_CODES:
                raise MessageGone(f"Discord: {exc.text} (code {exc.code})") from exc
            raise DeliveryError(f"Discord edit failed: {exc.status} {exc.text}") from exc
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Discord edit failed: {exc!r}") from exc

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        """Post a digest: the heading, then compact embeds, split at story boundaries."""
        await self._deliver(chat, render.digest_messages(heading, briefs), heading)

    async def send_text(self, chat: ChatRef, text: str) -> None:
        """Post a plain notice."""
        await self._deliver(chat, render.text_messages(text), text)

    async def _deliver(
        self, chat: ChatRef, messages: list[render.Outgoing], title: str
    ) -> discord.Message | None:
        """Post ``messages``; returns the first one when Discord's answer is in."""
        channel_id = int(chat.thread_id or chat.chat_id)
        channel = await self._lookup(channel_id)
        try:
            if isinstance(channel, discord.ForumChannel):
                return await self._post_in_forum(channel, messages, render.thread_name(title))
            # Threads that are archived and DM channels are often not cached: a partial
            # messageable posts to the id directly, without fetching the channel first.
            target = channel or self._client.get_partial_messageable(channel_id)
            if not isinstance(target, discord.abc.Messageable):
                raise DeliveryError(f"channel {channel_id} cannot receive messages")
            posted = [await self._post(target, channel_id, message) for message in messages]
            return posted[0] if posted else None
        except discord.RateLimited as exc:
            raise RateLimited(exc.retry_after, "Discord rate limit") from exc
        except discord.HTTPException as exc:
            await self._http_error(chat, channel, exc)
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Discord send failed: {exc!r}") from exc

    async def _post(
        self, target: discord.abc.Messageable, channel_id: int, message: render.Outgoing
    ) -> discord.Message | None:
        """Post one message; return once Discord accepted it, even while discord.py still
        sleeps out the channel's exhausted bucket inside the call (``watch``: then without
        the message, which discord.py has not handed out yet)."""
        if self._watch is None:
            return await target.send(**_kwargs(message))
        answered = self._watch.answered(channel_id)
        post: asyncio.Future[Any] = asyncio.ensure_future(target.send(**_kwargs(message)))
        try:
            await asyncio.wait([post, answered], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            post.cancel()
            raise
        finally:
            self._watch.forget(channel_id, answered)
        if post.done():
            sent: discord.Message = post.result()
            return sent
        self.posting.add(post)
        post.add_done_callback(self._posted)
        return None

    def close(self) -> None:
        """Stop waiting out buckets of posts that were already accepted (at shutdown)."""
        for post in self.posting:
            post.cancel()

    def _posted(self, post: asyncio.Future[Any]) -> None:
        self.posting.discard(post)
        if not post.cancelled() and post.exception() is not None:
            logger.warning("a Discord post failed after it was accepted", exc_info=post.exception())

    async def _cached(self, channel_id: int) -> object | None:
        return self._client.get_channel(channel_id)

    async def _post_in_forum(
        self, forum: discord.ForumChannel, messages: list[render.Outgoing], name: str
    ) -> discord.Message:
        first, *rest = messages
        created = await forum.create_thread(name=name, **_kwargs(first))
        for message in rest:
            await created.thread.send(**_kwargs(message))
        return created.message

    async def _http_error(
        self, chat: ChatRef, channel: object, exc: discord.HTTPException
    ) -> NoReturn:
        """Translate an ``HTTPException``; always raises."""
        if exc.status == 429:
            # No Discord headers: Cloudflare refusing the bot's address, i.e. every request.
            raise RateLimited(
                retry_after_header(exc), "Discord 429 without rate-limit headers", is_global=True
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
