"""Answering an interaction: permission check, defer, run the core command, reply, notices.

Every ``/news`` subcommand goes through :meth:`Responder.run`:

1. Commands that change a channel (subscribe, unsubscribe, alert add/remove, digest changes)
   need Manage Channels, read from ``interaction.permissions`` (the caller's permissions in
   that channel, overwrites included) and, when the command names another channel, from the
   permissions Discord resolved for the caller in that channel. A refusal is ephemeral and
   immediate. In a DM the caller owns the chat and may change it.
2. Otherwise the interaction is deferred at once (Discord's 3-second window), the core
   command runs (``Commands.run``, which also marks the chat as talking to the bot: a chat
   disabled after refused deliveries receives again), and the reply is sent as follow-ups. A reply
   that concerns only the caller (``Reply.private``, errors, and the help and catalogue
   answers) is ephemeral. When a
   public defer meets a private reply, the public "thinking" placeholder is deleted and the
   reply follows as an ephemeral message, because Discord makes the first follow-up inherit
   the defer's visibility.
3. For a caller with Manage Channels, pending notices (why deliveries to a channel stopped)
   are taken from storage and shown to them once, ephemerally.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import discord
from discord.utils import MISSING

from bot.adapters.discord_bot import render
from bot.adapters.discord_bot.notifier import server_notice_ref
from bot.core.commands import Commands
from bot.core.i18n import N_, _
from bot.core.models import ChatRef, Platform, Reply, ReplyKind

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


async def send(
    interaction: Interaction, messages: Sequence[render.Outgoing], *, private: bool
) -> None:
    """Send ``messages`` as the response or follow-ups, never mentioning anyone."""
    for message in messages:
        content = message.content or MISSING
        embeds = list(message.embeds) or MISSING
        if interaction.response.is_done():
            await interaction.followup.send(
                content, embeds=embeds, ephemeral=private, allowed_mentions=render.no_mentions()
            )
        else:
            await interaction.response.send_message(
                content, embeds=embeds, ephemeral=private, allowed_mentions=render.no_mentions()
            )


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
        messages = render.reply_messages(reply.text, reply.briefs)
        if private and interaction.extras.get(DEFERRED_PUBLIC):
            interaction.extras[DEFERRED_PUBLIC] = False
            await interaction.delete_original_response()
        await send(interaction, messages, private=private)

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
