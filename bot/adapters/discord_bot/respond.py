"""Answering an interaction: permission check, defer, run the core command, reply, notices.

Every ``/news`` subcommand goes through :meth:`Responder.run`:

1. Commands that change a channel (subscribe, unsubscribe, alert add/remove, digest changes)
   need Manage Channels, read from ``interaction.permissions`` (the caller's permissions in
   that channel, overwrites included) and, when the command names another channel, from the
   permissions Discord resolved for the caller in that channel. A refusal is ephemeral and
   immediate. In a DM the caller owns the chat and may change it.
2. Otherwise the interaction is deferred at once (Discord's 3-second window), the core
   command runs (``Commands.run``, which also marks the chat as talking to the bot: a chat
   disabled after refused deliveries receives again), and the reply is sent as follow-ups,
   each retried on a 429 (after its ``retry_after``) and on network errors through the
   platform's pacer (``follow_up``); one that still fails is logged with the channel and
   command. A reply
   that concerns only the caller (``Reply.private``, errors, and the help and catalogue
   answers) is ephemeral. When a
   public defer meets a private reply, the public "thinking" placeholder is deleted and the
   reply follows as an ephemeral message, because Discord makes the first follow-up inherit
   the defer's visibility.
   A command that reports progress (``/news import``) shows it by editing the deferred
   response (``progress_line``); the reply then follows as a new message. A reply that carries
   a file (``/news export``) uploads it with its last message.
3. For a caller with Manage Channels, pending notices (why deliveries to a channel stopped)
   are taken from storage and shown to them once, ephemerally.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import discord
from discord.utils import MISSING

from bot.adapters.discord_bot import render
from bot.adapters.discord_bot.notifier import retry_after_header, server_notice_ref
from bot.core.commands import Commands
from bot.core.errors import ChatUnavailable, DeliveryError, RateLimited
from bot.core.i18n import N_, _
from bot.core.models import ChatRef, Document, Platform, Reply, ReplyKind
from bot.core.pacing import Pacer
from bot.core.ports import ShowProgress

logger = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]
Target = discord.app_commands.AppCommandChannel | discord.app_commands.AppCommandThread

DEFERRED_PUBLIC = "newsbrief_deferred_public"
"""Key in ``Interaction.extras``: the interaction was deferred visibly to everyone."""
REFUSED = N_(
    "Only members with the Manage Channels permission can change what this channel "
    "receives. /news latest, /news feeds and /news help are open to everyone."
)


def chat_of(interaction: Interaction, target: Target | None = None) -> ChatRef | None:
    """The chat a command applies to: ``target`` if given, else the channel it was run in.

    A thread is a channel of its own in Discord, so a thread's id is its ``chat_id``.
    """
    channel_id = target.id if target is not None else interaction.channel_id
    if channel_id is None:
        return None
    return ChatRef(Platform.DISCORD, str(channel_id))


def may_change(interaction: Interaction, target: Target | None = None) -> bool:
    """Whether the caller may change the chat (Manage Channels there, or their own DM)."""
    if interaction.guild_id is None:
        return True
    if not interaction.permissions.manage_channels:
        return False
    return target is None or target.permissions.manage_channels


def _reply_error(exc: Exception) -> DeliveryError:
    """A failed follow-up as a core error: 429s and network or server errors are retried,
    anything else (an expired interaction token, a refused body) would fail again."""
    if isinstance(exc, discord.RateLimited):
        return RateLimited(exc.retry_after, "Discord rate limit")
    if isinstance(exc, discord.HTTPException) and exc.status == 429:
        headers: Any = getattr(exc.response, "headers", None) or {}
        # Without Discord's Via header it is Cloudflare refusing every request.
        return RateLimited(retry_after_header(exc), "Discord 429", is_global=not headers.get("Via"))
    if isinstance(exc, discord.HTTPException) and exc.status < 500:
        return ChatUnavailable(f"Discord refused it: {exc.status} {exc.text} (code {exc.code})")
    return DeliveryError(f"Discord follow-up failed: {exc!r}")


async def follow_up(
    interaction: Interaction,
    message: render.Outgoing,
    *,
    private: bool,
    document: Document | None = None,
) -> None:
    """Send one follow-up (with ``document`` attached); 429s and network errors are retried
    at the platform's pace (``Pacer.deliver``), and one that still fails is logged with the
    channel and command."""

    async def post() -> None:
        try:
            await interaction.followup.send(
                message.content or MISSING,
                embeds=list(message.embeds) or MISSING,
                file=_file(document),  # a new one each try: an upload reads it to the end
                ephemeral=private,
                allowed_mentions=render.no_mentions(),
            )
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise _reply_error(exc) from exc

    pacer = getattr(interaction.client, "pacer", None)
    if not isinstance(pacer, Pacer):
        await post()
        return
    command = interaction.command.qualified_name if interaction.command else "command"
    chat = chat_of(interaction) or ChatRef(Platform.DISCORD, "?")
    await pacer.deliver(chat, post, label=f"reply to /{command}", per_chat=False)


async def send(
    interaction: Interaction,
    messages: Sequence[render.Outgoing],
    *,
    private: bool,
    document: Document | None = None,
) -> None:
    """Send ``messages`` as the response or follow-ups, never mentioning anyone; ``document``
    is uploaded with the last one."""
    for n, message in enumerate(messages, 1):
        attached = document if n == len(messages) else None
        if interaction.response.is_done():
            await follow_up(interaction, message, private=private, document=attached)
        else:
            await interaction.response.send_message(
                message.content or MISSING,
                embeds=list(message.embeds) or MISSING,
                file=_file(attached),
                ephemeral=private,
                allowed_mentions=render.no_mentions(),
            )


def _file(document: Document | None) -> Any:
    """``document`` as an upload for discord.py (``MISSING``: none)."""
    if document is None:
        return MISSING
    return discord.File(io.BytesIO(document.data), filename=document.name)


def progress_line(interaction: Interaction) -> ShowProgress:
    """Progress shown in the deferred response, edited as it goes (a refused edit is logged and
    skipped). Once shown, the response is a message of its own: a private reply after it
    follows as an ephemeral message without deleting it."""

    async def show(text: str) -> None:
        try:
            await interaction.edit_original_response(
                content=render.escape(text), allowed_mentions=render.no_mentions()
            )
        except discord.HTTPException as exc:
            logger.info("progress in %s not updated: %s", interaction.channel_id, exc)
            return
        interaction.extras[DEFERRED_PUBLIC] = False

    return show


async def answer_privately(interaction: Interaction, text: str) -> None:
    """Answer the caller only, whatever state the interaction is in."""
    if interaction.response.is_done() and interaction.extras.get(DEFERRED_PUBLIC):
        # The public "thinking" placeholder would turn the follow-up public: remove it.
        interaction.extras[DEFERRED_PUBLIC] = False
        await interaction.delete_original_response()
    await send(interaction, render.reply_messages(text), private=True)


class Responder:
    """Runs core commands for interactions and renders their replies."""

    def __init__(self, commands: Commands) -> None:
        self._commands = commands

    async def run(
        self,
        interaction: Interaction,
        work: Callable[[ChatRef], Awaitable[Reply]],
        *,
        target: Target | None = None,
        changes: bool = False,
        private: bool = False,
    ) -> None:
        """Check, defer, run ``work`` for the chat, reply, then show pending notices.

        Args:
            interaction: the slash-command interaction.
            work: runs the core command for the chat (``Commands.run``).
            target: the channel named in the command (default: where it was run).
            changes: the command changes the chat (needs Manage Channels).
            private: the reply concerns only the caller (ephemeral whatever it says).
        """
        chat = chat_of(interaction, target)
        if chat is None:
            await answer_privately(
                interaction, _("This command works in a server channel or a DM.")
            )
            return
        if changes and not may_change(interaction, target):
            await answer_privately(interaction, _(REFUSED))
            return
        await interaction.response.defer(ephemeral=private, thinking=True)
        interaction.extras[DEFERRED_PUBLIC] = not private
        reply = await work(chat)
        await self.reply(interaction, reply, private=private)
        if may_change(interaction, target):
            await self.show_notices(interaction, chat)

    async def reply(self, interaction: Interaction, reply: Reply, *, private: bool) -> None:
        """Send a core reply; ephemeral when private, an error, or asked by the core."""
        private = private or reply.private or reply.kind is ReplyKind.ERROR
        messages = render.reply_messages(reply.text, reply.briefs, reply.related)
        if private and interaction.extras.get(DEFERRED_PUBLIC):
            interaction.extras[DEFERRED_PUBLIC] = False
            await interaction.delete_original_response()
        await send(interaction, messages, private=private, document=reply.document)

    async def show_notices(self, interaction: Interaction, chat: ChatRef) -> None:
        """Show (once) the notices pending for this chat and for its server, ephemerally."""
        refs = [chat]
        if interaction.guild_id is not None:
            refs.append(server_notice_ref(interaction.guild_id))
        for ref in refs:
            notice = await self._commands.take_notice(ref)
            if notice:
                logger.info("showing the pending notice of %s to an admin", ref)
                await send(
                    interaction,
                    render.reply_messages(_("Notice: {notice}", notice=notice)),
                    private=True,
                )
