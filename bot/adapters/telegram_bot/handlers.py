"""Inbound Telegram updates -> the core ``Commands`` -> rendered replies.

One path serves typed commands and command buttons: parse ``/name@bot args``, check that the
sender may change the chat when the command does (``CommandInfo.changes_chat``), run it through
``Commands.dispatch`` (which also notes that the chat is reachable again), show the chat's
pending notice to an administrator, and send the rendered reply into the same chat and forum
topic. ``/subscribe @channel <target>`` (and ``/unsubscribe``, ``/subscriptions``) in a private
chat act on a channel the user administers. A bare URL in a private chat is answered with a
"Subscribe" button. Any exception ends in ``on_error``: logged with its traceback, and the user
gets a polite answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from telegram import Bot, Chat, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapters.telegram_bot import render
from bot.adapters.telegram_bot.notifier import TelegramNotifier
from bot.adapters.telegram_bot.permissions import is_admin, is_channel_handle, managed_channel
from bot.core.commands import COMMANDS, Commands, command_info
from bot.core.models import ChatRef, Platform, Reply, ReplyKind
from bot.core.ports import Clock

logger = logging.getLogger(__name__)

COMMAND_NAMES = ("start", "list", *(c.name for c in COMMANDS))
CHANNEL_COMMANDS = frozenset({"subscribe", "unsubscribe", "subscriptions"})
SORRY = "Sorry, something went wrong on my side. Please try again in a minute."
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def chat_ref(message: Message) -> ChatRef:
    """The delivery target of a message: its chat, and its forum topic if it is in one."""
    topic = message.message_thread_id if message.is_topic_message else None
    return ChatRef(Platform.TELEGRAM, str(message.chat.id), str(topic) if topic else "")


def split_command(text: str) -> tuple[str, str]:
    """``"/Latest@newsbot world 3"`` -> ``("latest", "world 3")``."""
    word, _, rest = text.strip().partition(" ")
    return word.lstrip("/").partition("@")[0].lower(), rest.strip()


def for_another_bot(text: str, username: str | None) -> bool:
    """True for ``/cmd@otherbot ...``: a command addressed to a different bot.

    Checked before anything else in every chat type (private chats too): a private
    ``/subscribe@otherbot @channel x`` once acted on the channel.
    """
    word = text.strip().split(maxsplit=1)[0] if text.strip() else ""
    addressee = word.partition("@")[2]
    return bool(addressee) and addressee.lower() != (username or "").lower()


def fetches(text: str) -> bool:
    """True for a command that fetches a URL: ``/subscribe <URL>`` (also ``@channel <URL>``)."""
    name, args = split_command(text)
    return name == "subscribe" and _URL.search(args) is not None


@dataclass(frozen=True)
class Invocation:
    """One command to run: what was typed (or pressed), where, and by whom."""

    bot: Bot
    chat: Chat
    ref: ChatRef
    user: User | None
    sender_chat: Chat | None
    text: str


class Handlers:
    """The update handlers of one bot."""

    def __init__(self, commands: Commands, notifier: TelegramNotifier, clock: Clock) -> None:
        self._commands = commands
        self._notifier = notifier
        self._clock = clock

    def install(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Register every handler and the error handler on ``app``."""
        typed = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        app.add_handler(CommandHandler(COMMAND_NAMES, self.on_command, filters=typed))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        app.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    # -- updates ---------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed command (unknown ones only reach here in private chats)."""
        message = update.effective_message
        if message is None or not message.text:
            return
        call = Invocation(
            context.bot,
            message.chat,
            chat_ref(message),
            message.from_user,
            message.sender_chat,
            message.text,
        )
        await self._start(call, update, context)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text in a private chat: offer to subscribe to a bare URL, else point at /help."""
        message = update.effective_message
        if message is None or not message.text:
            return
        ref = chat_ref(message)
        url = message.text.strip()
        if _URL.fullmatch(url):
            await self._notifier.reply(ref, render.subscribe_offer(url), label="subscribe offer")
            return
        hint = "Send me a feed or page URL to subscribe to it, or /help for the commands."
        await self._send(ref, Reply(hint, ReplyKind.INFO))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button under one of our messages: subscribe to an offered URL, or run a command."""
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        message = query.message
        if not isinstance(message, Message) or not query.data:
            return
        data = query.data
        if data == render.SUBSCRIBE_URL_DATA:
            url = render.offered_url(message.text or "")
            text = f"/subscribe {url}" if url else "/help"
            await message.edit_reply_markup(None)
        elif data.startswith(render.UNSUBSCRIBE_DATA):
            text = "/unsubscribe " + data.removeprefix(render.UNSUBSCRIBE_DATA)
        elif data.startswith(render.COMMAND_DATA):
            text = data.removeprefix(render.COMMAND_DATA)
        else:
            return
        call = Invocation(context.bot, message.chat, chat_ref(message), query.from_user, None, text)
        await self._start(call, update, context)

    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was (re-)added to a chat or unblocked: the chat can receive again."""
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
            await self._commands.touch(ChatRef(Platform.TELEGRAM, str(change.chat.id)))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The last-resort handler: log with the traceback, answer the user politely."""
        error = context.error
        logger.error("handling a Telegram update failed: %r", error, exc_info=error)
        if not isinstance(update, Update) or isinstance(error, Forbidden | RetryAfter):
            return
        message = update.effective_message
        if message is None:
            return
        try:
            await self._send(chat_ref(message), Reply(SORRY, ReplyKind.ERROR))
        except TelegramError as exc:
            logger.warning("could not apologise in %s: %s", message.chat.id, exc)

    # -- the command path ------------------------------------------------------------------
    async def _start(
        self, call: Invocation, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """Run a command now, or as a task of its own when it fetches a URL.

        A fetch may take up to the core's deadline; as a task it holds neither the chat's turn
        nor a running slot (``updates.ChatOrderedProcessor``), and its reply comes when the
        fetch ends. The application awaits such tasks on stop; their errors reach ``on_error``.
        """
        if fetches(call.text):
            context.application.create_task(self.run(call), update=update, name="fetch-command")
            return
        await self.run(call)

    async def run(self, call: Invocation) -> None:
        """Run one command and send its replies (see the module docstring)."""
        if for_another_bot(call.text, call.bot.username):
            return
        name, args = split_command(call.text)
        first = args.split(maxsplit=1)[0] if args else ""
        private = call.chat.type == ChatType.PRIVATE
        if private and name in CHANNEL_COMMANDS and is_channel_handle(first):
            await self._for_channel(call, name, first, args[len(first) :].strip())
            return
        info = command_info("help" if name == "start" else name)
        admin = await is_admin(call.bot, call.chat, call.user, call.sender_chat)
        if info is not None and info.changes_chat and not admin:
            await self._send(
                call.ref,
                Reply(
                    f"Only this chat's administrators can use /{name} here. "
                    "Anyone can ask for /latest.",
                    ReplyKind.ERROR,
                ),
            )
            return
        answer = await self._commands.dispatch(call.ref, call.text, bot_name=call.bot.username)
        if answer is None:
            return
        if admin:
            await self._notice(call.ref, call.ref)
        await self._send(call.ref, answer, label=f"reply to /{name}")

    async def _for_channel(self, call: Invocation, name: str, handle: str, rest: str) -> None:
        """``/subscribe @channel target`` and friends, from a private chat."""
        if call.user is None:
            return
        check = await managed_channel(call.bot, handle, call.user.id)
        if check.chat is None:
            await self._send(call.ref, Reply(check.problem, ReplyKind.ERROR))
            return
        answer = await self._commands.dispatch(check.chat, f"/{name} {rest}".strip())
        if answer is None:
            return
        await self._notice(check.chat, call.ref)
        await self._send(call.ref, replace(answer, text=f"{check.title}: {answer.text}"))

    async def _notice(self, chat: ChatRef, to: ChatRef) -> None:
        """Show ``chat``'s pending notice (once) in ``to``."""
        notice = await self._commands.take_notice(chat)
        if notice:
            await self._send(to, Reply(notice, ReplyKind.INFO))

    async def _send(self, to: ChatRef, answer: Reply, *, label: str = "reply") -> None:
        for message in render.reply(answer, self._clock.now()):
            await self._notifier.reply(to, message, label=label)
