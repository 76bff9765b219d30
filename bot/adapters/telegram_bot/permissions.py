"""Who may change a chat's subscriptions, and which channel a private chat may manage.

In groups, supergroups and channels only chat administrators may run commands that change the
chat (``Call.needs_admin``). An anonymous administrator writes "as the group": the
message's ``sender_chat`` is the chat itself. A message sent as another chat (a linked channel's
automatic forward, a user posting as their own channel) is not an administrator. A channel is
managed from a private chat (``/subscribe @channel world``) by a user who administers it, once
the bot may post there. Status is asked from Telegram each time (``getChatMember``): changes are
rare, and a cache would let a demoted administrator act for a while.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Bot, Chat, ChatMember, ChatMemberAdministrator, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.core.i18n import _
from bot.core.models import ChatRef, Platform

logger = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


def is_channel_handle(word: str) -> bool:
    """True for ``@name`` or a ``-100…`` chat id, the ways to name a channel."""
    return (word.startswith("@") and len(word) > 1) or _is_chat_id(word)


def _is_chat_id(word: str) -> bool:
    """``-100…`` in ASCII digits (``str.isdigit`` alone also passes "²", which ``int`` refuses)."""
    digits = word[1:]
    return word.startswith("-100") and digits.isascii() and digits.isdigit() and len(digits) < 20


async def is_admin(bot: Bot, chat: Chat, user: User | None, sender_chat: Chat | None) -> bool:
    """May this sender change ``chat``? Always in a private chat."""
    if chat.type == ChatType.PRIVATE:
        return True
    if sender_chat is not None:
        return sender_chat.id == chat.id
    if user is None:
        return False
    member = await bot.get_chat_member(chat.id, user.id)
    return member.status in ADMIN_STATUSES


@dataclass(frozen=True)
class ChannelCheck:
    """The channel a private chat may manage, or why not (``problem``, a reply text)."""

    chat: ChatRef | None
    title: str = ""
    problem: str = ""


async def managed_channel(bot: Bot, handle: str, user_id: int) -> ChannelCheck:
    """Check that ``user_id`` administers the channel ``handle`` and the bot may post there."""
    try:
        info = await bot.get_chat(int(handle) if _is_chat_id(handle) else handle)
    except (BadRequest, Forbidden) as exc:
        logger.info("channel %s not visible: %s", handle, exc)
        return ChannelCheck(
            None,
            problem=_(
                "I cannot see {channel}. Add me to the channel as an administrator "
                "allowed to post messages, then try again.",
                channel=handle,
            ),
        )
    if info.type != ChatType.CHANNEL:
        return ChannelCheck(
            None,
            problem=_(
                "{channel} is not a channel. In a group, send the command there.", channel=handle
            ),
        )
    name = f"@{info.username}" if info.username else (info.title or handle)
    member = await _member(bot, info.id, user_id)
    if member is None or member.status not in ADMIN_STATUSES:
        return ChannelCheck(
            None,
            problem=_(
                "Only administrators of {channel} can change what it receives.", channel=name
            ),
        )
    me = await _member(bot, info.id, bot.id)
    if not (isinstance(me, ChatMemberAdministrator) and me.can_post_messages):
        return ChannelCheck(
            None,
            problem=_(
                "I cannot post in {channel}. Make me an administrator allowed to post "
                "messages, then try again.",
                channel=name,
            ),
        )
    return ChannelCheck(ChatRef(Platform.TELEGRAM, str(info.id)), title=name)


async def _member(bot: Bot, chat_id: int, user_id: int) -> ChatMember | None:
    try:
        return await bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden) as exc:
        logger.info("member %s of %s unknown: %s", user_id, chat_id, exc)
        return None
