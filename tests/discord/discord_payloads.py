"""Gateway and REST payloads of the fake Discord: one server with a text channel, a forum
channel and a thread, a member, a DM, and slash-command interactions for ``/news``.

Field sets follow what discord.py 2.7 requires (research/chat-fakes.md): ``member.flags``,
``attachment_size_limit``, ``version`` and ``application_id`` in interactions; full thread
objects (``thread_metadata``, counts, ``owner_id``) wherever a thread appears.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TOKEN = "fake.discord.token"
APP_ID = 1000
OWNER_ID = 2000
USER_ID = 3000
GUILD_ID = 4000
TEXT_ID = 5000
FORUM_ID = 5001
THREAD_ID = 5002
DM_ID = 6000

VIEW, SEND, EMBED, HISTORY = 1 << 10, 1 << 11, 1 << 14, 1 << 16
MANAGE_CHANNELS, USE_COMMANDS = 1 << 4, 1 << 31
MEMBER = VIEW | SEND | EMBED | HISTORY | USE_COMMANDS
ADMIN = MEMBER | MANAGE_CHANNELS
EPHEMERAL = 64
NOW = "2025-01-01T00:00:00+00:00"

BOT_USER = {
    "id": str(APP_ID),
    "username": "newsbrief",
    "discriminator": "0",
    "avatar": None,
    "global_name": None,
    "bot": True,
    "flags": 0,
}
HUMAN = {
    "id": str(USER_ID),
    "username": "alice",
    "discriminator": "0",
    "avatar": None,
    "global_name": "Alice",
}
OPTION_TYPES = {str: 3, int: 4, bool: 5}


@dataclass(frozen=True)
class ChannelOpt:
    """A channel given as a slash-command option."""

    id: int


@dataclass(frozen=True)
class Attached:
    """A file given as a slash-command attachment option (``FakeDiscord.attach``)."""

    id: int
    filename: str
    size: int
    url: str

    def payload(self) -> dict[str, Any]:
        """The attachment object of ``data.resolved.attachments``."""
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
            "content_type": "text/x-opml; charset=utf-8",
            "ephemeral": True,
        }


class Payloads:
    """Factories for the payloads; snowflakes come from one counter."""

    def __init__(self) -> None:
        self._ids: Iterator[int] = itertools.count(900_000)

    def command(
        self,
        path: str,
        options: dict[str, Any] | None = None,
        *,
        channel_id: int = TEXT_ID,
        permissions: int = ADMIN,
        focused: str | None = None,
        guild_command: bool = False,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE for ``/news <path>`` (type 4, autocomplete, with ``focused``)."""
        leaf, resolved, attachments = [], {}, {}
        for name, value in (options or {}).items():
            if isinstance(value, ChannelOpt):
                leaf.append({"name": name, "type": 7, "value": str(value.id)})
                resolved[str(value.id)] = self.channel(value.id, permissions=permissions)
            elif isinstance(value, Attached):
                leaf.append({"name": name, "type": 11, "value": str(value.id)})
                attachments[str(value.id)] = value.payload()
            else:
                leaf.append({"name": name, "type": OPTION_TYPES[type(value)], "value": value})
            if name == focused:
                leaf[-1]["focused"] = True
        opts: list[dict[str, Any]] = leaf
        for i, word in enumerate(reversed(path.split())):
            opts = [{"name": word, "type": 1 if i == 0 else 2, "options": opts}]
        data: dict[str, Any] = {
            "id": str(next(self._ids)),
            "name": "news",
            "type": 1,
            "options": opts,
        }
        if resolved:
            data["resolved"] = {"channels": resolved}
        if attachments:
            data.setdefault("resolved", {})["attachments"] = attachments
        if guild_command:  # registered in one server (NEWSBRIEF_DISCORD_GUILD_ID), not globally
            data["guild_id"] = str(GUILD_ID)
        payload: dict[str, Any] = {
            "id": str(next(self._ids)),
            "application_id": str(APP_ID),
            "type": 4 if focused else 2,
            "token": f"itoken-{next(self._ids)}",
            "version": 1,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(ADMIN),
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
            "channel": self.channel(channel_id, permissions=permissions),
        }
        if channel_id == DM_ID:
            payload |= {"user": HUMAN, "context": 1}
        else:
            payload |= {
                "guild_id": str(GUILD_ID),
                "context": 0,
                "guild": {"id": str(GUILD_ID), "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "member": {
                    "user": HUMAN,
                    "roles": [],
                    "joined_at": NOW,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "permissions": str(permissions),
                },
            }
        return payload

    def channel(self, channel_id: int, *, permissions: int = ADMIN) -> dict[str, Any]:
        """The channel object of one of the fake's channels."""
        common = {
            "id": str(channel_id),
            "permissions": str(permissions),
            "flags": 0,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }
        if channel_id == DM_ID:
            return {**common, "type": 1, "recipients": [HUMAN]}
        guild = {
            "guild_id": str(GUILD_ID),
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
        }
        if channel_id == FORUM_ID:
            return {
                **common,
                **guild,
                "type": 15,
                "name": "briefs",
                "parent_id": None,
                "topic": None,
                "available_tags": [],
                "default_forum_layout": 0,
            }
        if channel_id == THREAD_ID:
            return {
                **common,
                "guild_id": str(GUILD_ID),
                "type": 11,
                "name": "world talk",
                "parent_id": str(TEXT_ID),
                "owner_id": str(USER_ID),
                "message_count": 1,
                "member_count": 1,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": NOW,
                    "locked": False,
                },
            }
        return {**common, **guild, "type": 0, "name": "general", "parent_id": None, "topic": None}

    def guild(self) -> dict[str, Any]:
        return {
            "id": str(GUILD_ID),
            "name": "Fake Guild",
            "unavailable": False,
            "owner_id": str(OWNER_ID),
            "member_count": 2,
            "large": False,
            "features": [],
            "emojis": [],
            "stickers": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "icon": None,
            "banner": None,
            "splash": None,
            "discovery_splash": None,
            "roles": [
                {
                    "id": str(GUILD_ID),
                    "name": "@everyone",
                    "permissions": str(MEMBER),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                }
            ],
            "channels": [self.channel(TEXT_ID), self.channel(FORUM_ID)],
            "threads": [self.channel(THREAD_ID)],
            "members": [
                {
                    "user": BOT_USER,
                    "roles": [],
                    "joined_at": NOW,
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                }
            ],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def message(self, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "timestamp": NOW,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "flags": body.get("flags") or 0,
            "components": [],
        }
