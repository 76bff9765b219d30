"""Inbound Telegram updates -> the core ``Commands`` -> rendered replies.

One path serves typed commands and command buttons. A typed line is parsed by the core
(``command_parse.parse``: ``/name@bot args``, a command for another bot is ignored); a button
carries a command name and its values (``bind``). Then: check the core's permission rule
(``Call.needs_admin``; ``getChatMember`` is asked only when a rule or a pending notice needs
it), run the call through ``Commands.run`` (which also notes that the chat is reachable again),
show the chat's pending notice to an administrator, and send the rendered reply into the same
chat and forum topic. In a private chat a command that takes a channel may name one first
(``/subscribe @channel <target>``): it then acts on a channel the user administers. A bare URL
in a private chat is answered with a "Subscribe" button. A command that takes a file
(``/import``) is the caption of a document, or answers a message that carries one
(``files.document_of``); its progress is one message edited as it goes. Everything is said in
the chat's language (``Commands.speaks``: the one set with ``/language``, else the user's
Telegram ``language_code`` when the bot speaks it). Any exception ends in ``on_error``: logged
with its traceback, and the user gets a polite answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
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
from bot.adapters.telegram_bot.files import TelegramUpload, document_of
from bot.adapters.telegram_bot.notifier import TelegramNotifier
from bot.adapters.telegram_bot.permissions import is_admin, is_channel_handle, managed_channel
from bot.core.command_parse import Call, bind, parse
from bot.core.command_table import NAMES, find
from bot.core.commands import Commands
from bot.core.i18n import N_, _, language_of, using
from bot.core.models import ChatRef, Platform, Reply, ReplyKind
from bot.core.ports import Clock

logger = logging.getLogger(__name__)

SORRY = N_("Sorry, something went wrong on my side. Please try again in a minute.")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def chat_ref(message: Message) -> ChatRef:
    """The delivery target of a message: its chat, and its forum topic if it is in one."""
    topic = message.message_thread_id if message.is_topic_message else None
    return ChatRef(Platform.TELEGRAM, str(message.chat.id), str(topic) if topic else "")


def button_call(data: str, message_text: str) -> Call | Reply | None:
    """The command a button under one of our messages runs (``None``: not one of ours)."""
    if data == render.SUBSCRIBE_URL_DATA:
        url = render.offered_url(message_text)
        return bind("subscribe", {"target": url}) if url else bind("help", {})
    if data.startswith(render.UNSUBSCRIBE_DATA):
        return bind("unsubscribe", {"target": data.removeprefix(render.UNSUBSCRIBE_DATA)})
    if data.startswith(render.COMMAND_DATA):
        command = find(data.removeprefix(render.COMMAND_DATA).lstrip("/"))
        return bind(command.name, {}) if command is not None else None
    return None


@dataclass(frozen=True)
class Invocation:
    """Where a command was typed (or pressed), and by whom."""

    bot: Bot
    chat: Chat
    ref: ChatRef
    user: User | None
    sender_chat: Chat | None

    def admin(self) -> Callable[[], Awaitable[bool]]:
        """May the sender change the chat? Asked of Telegram at most once, when first needed."""
        known: list[bool] = []

        async def check() -> bool:
            if not known:
                known.append(await is_admin(self.bot, self.chat, self.user, self.sender_chat))
            return known[0]

        return check


async def _yes() -> bool:
    return True


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
        app.add_handler(CommandHandler(NAMES, self.on_command, filters=typed))
        named = "|".join(NAMES)
        caption = filters.CaptionRegex(rf"(?i)^/({named})(@\w+)?(\s|$)")
        captioned = typed & filters.Document.ALL & caption
        app.add_handler(MessageHandler(captioned, self.on_command))
        app.add_handler(MessageHandler(private & filters.COMMAND, self.on_command))
        app.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(self.on_error)

    # -- updates ---------------------------------------------------------------------------
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed command, or the caption of a document (unknown commands only reach here in
        private chats)."""
        message = update.effective_message
        if message is None:
            return
        text = message.text or message.caption
        if not text:
            return
        private = message.chat.type == ChatType.PRIVATE
        where = Invocation(
            context.bot, message.chat, chat_ref(message), message.from_user, message.sender_chat
        )
        document = document_of(message)
        with using(await self._speaks(where.ref, where.user)):
            call = parse(
                text,
                bot_name=context.bot.username,
                channel=is_channel_handle if private else None,
                upload=TelegramUpload(document) if document is not None else None,
            )
            await self._start(where, call, update, context)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Text in a private chat: offer to subscribe to a bare URL, else point at /help."""
        message = update.effective_message
        if message is None or not message.text:
            return
        ref = chat_ref(message)
        url = message.text.strip()
        with using(await self._speaks(ref, message.from_user)):
            if _URL.fullmatch(url):
                offer = render.subscribe_offer(url)
                await self._notifier.reply(ref, offer, label="subscribe offer")
                return
            hint = _("Send me a feed or page URL to subscribe to it, or /help for the commands.")
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
        if query.data == render.SUBSCRIBE_URL_DATA:
            await message.edit_reply_markup(None)
        call = button_call(query.data, message.text or "")
        where = Invocation(context.bot, message.chat, chat_ref(message), query.from_user, None)
        with using(await self._speaks(where.ref, where.user)):
            await self._start(where, call, update, context)

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
        user = update.effective_user
        # The user's own language, not the chat's: the failure may be the database's.
        try:
            with using(language_of(user.language_code if user else None)):
                await self._send(chat_ref(message), Reply(_(SORRY), ReplyKind.ERROR))
        except TelegramError as exc:
            logger.warning("could not apologise in %s: %s", message.chat.id, exc)

    async def _speaks(self, ref: ChatRef, user: User | None) -> str:
        """The chat's language (the user's Telegram language by default, see ``speaks``)."""
        return await self._commands.speaks(ref, user.language_code if user else None)

    # -- the command path ------------------------------------------------------------------
    async def _start(
        self,
        where: Invocation,
        call: Call | Reply | None,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        """Run a command now, or as a task of its own when it fetches a URL.

        A fetch may take up to the core's deadline; as a task it holds neither the chat's turn
        nor a running slot (``updates.ChatOrderedProcessor``), and its reply comes when the
        fetch ends. The application awaits such tasks on stop; their errors reach ``on_error``.
        """
        if call is None:
            return
        if isinstance(call, Reply):
            await self._send(where.ref, call)
            return
        if call.fetches:
            context.application.create_task(
                self.run(where, call), update=update, name="fetch-command"
            )
            return
        await self.run(where, call)

    async def run(self, where: Invocation, call: Call) -> None:
        """Run one command and send its replies (see the module docstring)."""
        if call.channel:
            await self._for_channel(where, call)
            return
        admin = where.admin()
        name = call.command.name
        if call.needs_admin and not await admin():
            await self._send(
                where.ref,
                Reply(
                    _(
                        "Only this chat's administrators can use /{name} here. "
                        "Anyone can ask for /latest.",
                        name=name,
                    ),
                    ReplyKind.ERROR,
                ),
            )
            return
        progress = None
        if call.command.progress:
            progress = self._notifier.progress(where.ref, label=f"progress of /{name}")
        answer = await self._commands.run(where.ref, call, admin=admin, progress=progress)
        await self._notice(answer.notice, where.ref)
        await self._send(where.ref, answer.reply, label=f"reply to /{name}")

    async def _for_channel(self, where: Invocation, call: Call) -> None:
        """``/subscribe @channel target`` and friends, from a private chat."""
        if where.user is None:
            return
        check = await managed_channel(where.bot, call.channel, where.user.id)
        if check.chat is None:
            await self._send(where.ref, Reply(check.problem, ReplyKind.ERROR))
            return
        answer = await self._commands.run(check.chat, call, admin=_yes)
        await self._notice(answer.notice, where.ref)
        reply = answer.reply
        await self._send(where.ref, replace(reply, text=f"{check.title}: {reply.text}"))

    async def _notice(self, notice: str | None, to: ChatRef) -> None:
        """Show a chat's pending notice (taken by ``Commands.run``) in ``to``."""
        if notice:
            await self._send(to, Reply(notice, ReplyKind.INFO))

    async def _send(self, to: ChatRef, answer: Reply, *, label: str = "reply") -> None:
        if answer.document is not None:
            await self._notifier.reply_document(to, answer.document, answer.text, label=label)
            return
        for message in render.reply(answer, self._clock.now()):
            await self._notifier.reply(to, message, label=label)
