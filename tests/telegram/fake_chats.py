"""The chats, members and updates of the fake Bot API (shapes as Telegram sends them)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.telegram import tg_html

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
BOT_USERNAME = "newsbrief_bot"
ANONYMOUS_ADMIN_BOT = 1087968824
"""The user Telegram puts in ``from`` of an anonymous administrator's message."""
JSON = dict[str, Any]


@dataclass
class FakeChat:
    """A chat the fake knows: its kind, its people, and how reachable it is."""

    id: int
    type: str = "private"
    title: str = ""
    username: str = ""
    is_forum: bool = False
    topics: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    owner: int | None = None
    bot_admin: bool = False
    bot_can_post: bool = False
    blocked: bool = False
    migrated_to: int | None = None
    language: str = ""
    """A private chat's user's ``language_code`` (empty: none sent)."""

    def as_json(self) -> JSON:
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title or f"User {self.id}"
        else:
            out["title"] = self.title or f"Chat {self.id}"
        if self.username:
            out["username"] = self.username
        if self.is_forum:
            out["is_forum"] = True
        return out


def user(user_id: int, name: str = "", language: str = "") -> JSON:
    out: JSON = {"id": user_id, "is_bot": False, "first_name": name or f"User {user_id}"}
    if language:
        out["language_code"] = language
    return out


class FakeChats:
    """Every chat of the fake; unknown ids are created on first use (private or group)."""

    def __init__(self) -> None:
        self.by_id: dict[int, FakeChat] = {}

    def add(self, chat: FakeChat) -> FakeChat:
        self.by_id[chat.id] = chat
        return chat

    def find(self, ref: Any) -> FakeChat | None:
        if isinstance(ref, str) and ref.startswith("@"):
            return next((c for c in self.by_id.values() if f"@{c.username}" == ref), None)
        try:
            return self.by_id.get(int(ref))
        except (TypeError, ValueError):
            return None

    def reachable(self, ref: Any) -> tuple[FakeChat | None, web.Response]:
        """The chat to send to, or the error Telegram would answer."""
        chat = self.find(ref)
        if chat is None and isinstance(ref, int | str) and str(ref).lstrip("-").isdigit():
            chat_id = int(ref)
            kind = "private" if chat_id > 0 else "supergroup"
            chat = self.add(FakeChat(chat_id, kind))
        if chat is None:
            return None, _error(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": chat.migrated_to},
            }
            return None, web.json_response(body, status=400)
        if chat.blocked:
            what = "bot was blocked by the user" if chat.type == "private" else "bot was kicked"
            return None, _error(403, f"Forbidden: {what}")
        return chat, _error(500, "unused")

    def message(
        self, chat: FakeChat, message_id: int, text: str, thread: int | None, p: JSON
    ) -> JSON:
        """The Message object ``sendMessage`` returns."""
        out: JSON = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.as_json(),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Newsbrief"},
            "text": text,
        }
        if thread:
            out["message_thread_id"] = thread
            out["is_topic_message"] = True
        if p.get("reply_markup"):
            out["reply_markup"] = p["reply_markup"]
        return out

    def full_info(self, chat: FakeChat) -> JSON:
        """The ChatFullInfo ``getChat`` returns (with the fields PTB 22.8 requires)."""
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.as_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def member(self, chat: FakeChat, user_id: int) -> JSON:
        """The ChatMember ``getChatMember`` returns."""
        if user_id == BOT_ID:
            if not chat.bot_admin:
                return {"status": "member", "user": _bot()}
            return _administrator(_bot(), can_post=chat.bot_can_post)
        if chat.type == "private" and user_id == chat.id:
            return {"status": "member", "user": user(user_id)}
        if user_id == chat.owner:
            return {"status": "creator", "user": user(user_id), "is_anonymous": False}
        if user_id in chat.admins:
            return _administrator(user(user_id), can_post=True)
        return {"status": "member", "user": user(user_id)}


def _bot() -> JSON:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Newsbrief", "username": BOT_USERNAME}


def _administrator(who: JSON, *, can_post: bool) -> JSON:
    rights = (
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
    )
    return {
        "status": "administrator",
        "user": who,
        "can_be_edited": False,
        "is_anonymous": False,
        **dict.fromkeys(rights, True),
        "can_post_messages": can_post,
    }


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


# -- updates ------------------------------------------------------------------------------------
def command(
    chat: FakeChat,
    text: str,
    *,
    sender: int | None = None,
    thread: int | None = None,
    sender_chat: FakeChat | None = None,
    message_id: int = 1,
    document: JSON | None = None,
    reply_to: JSON | None = None,
) -> JSON:
    """The update of a text message (with its ``bot_command`` entity when it starts with /).

    With ``document`` (``FakeBotApi.add_document``) it is that file with ``text`` as its
    caption; ``reply_to`` is the message it answers (a message of ``message_with``)."""
    message: JSON = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat.as_json(),
    }
    key = "text"
    if document is not None:
        message["document"] = document
        key = "caption"
    if text or key == "text":
        message[key] = text
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if sender is not None:
        message["from"] = user(sender)
    elif chat.type == "private":
        message["from"] = user(chat.id, language=chat.language)
    if sender_chat is not None:
        message["sender_chat"] = sender_chat.as_json()
        message.setdefault("from", user(ANONYMOUS_ADMIN_BOT, "Group"))
    if thread is not None:
        message["message_thread_id"] = thread
        message["is_topic_message"] = True
    if text.startswith("/"):
        word = text.split()[0]
        message["entities" if key == "text" else "caption_entities"] = [
            {"type": "bot_command", "offset": 0, "length": tg_html.utf16_len(word)}
        ]
    kind = "channel_post" if chat.type == "channel" else "message"
    return {kind: message}


def message_with(chat: FakeChat, document: JSON, *, sender: int, message_id: int) -> JSON:
    """A message (not an update) carrying ``document`` without a caption, to be answered."""
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat.as_json(),
        "from": user(sender),
        "document": document,
    }


def button_press(chat: FakeChat, presser: int, message: JSON, data: str) -> JSON:
    """The update of a press on an inline button under ``message`` (as sent by the bot)."""
    return {
        "callback_query": {
            "id": f"cb-{presser}-{message['message_id']}",
            "from": user(presser),
            "chat_instance": f"ci-{chat.id}",
            "data": data,
            "message": message,
        }
    }


def bot_status_change(chat: FakeChat, old: str, new: str) -> JSON:
    """``my_chat_member``: the bot's status in ``chat`` changed (e.g. unblocked)."""
    return {
        "my_chat_member": {
            "chat": chat.as_json(),
            "from": user(chat.id if chat.type == "private" else 1),
            "date": int(time.time()),
            "old_chat_member": _status(old),
            "new_chat_member": _status(new),
        }
    }


def _status(status: str) -> JSON:
    out: JSON = {"status": status, "user": _bot()}
    if status == "kicked":
        out["until_date"] = 0
    return out
