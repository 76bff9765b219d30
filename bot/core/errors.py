"""The one exception tree of newsbrief.

::

    NewsbriefError                  base of everything newsbrief raises on purpose
    ├── ConfigError                 bad settings or feeds.yaml; lists every problem
    ├── StartupError                a service newsbrief needs cannot be reached at start-up
    ├── UserInputError              a chat command cannot be done; ``str()`` is the reply text
    ├── FeedError                   a feed or article could not be fetched or parsed
    │   ├── UnsafeURLError          a chat-submitted URL points somewhere it must not (SSRF guard)
    │   ├── FeedUnavailableError    network error, timeout, HTTP error status, body too large
    │   ├── HostThrottledError      the host asked us to wait (429/503 Retry-After); ``retry_after``
    │   └── FeedParseError          the body is not a feed (no entries and not well-formed)
    ├── DeliveryError               a send failed for a reason worth retrying later
    │   ├── RateLimited             the platform asked us to wait ``retry_after`` (``is_global``)
    │   ├── ChatUnavailable         the bot was blocked, kicked, or lost its rights in the chat
    │   └── ChatMoved               the chat has a new id (Telegram group -> supergroup)
    └── StorageError                the database failed

Adapters translate library exceptions into these at the edge (``raise ... from exc``); the core
never sees a ``telegram.*``, ``discord.*``, ``httpx.*`` or ``sqlalchemy.*`` exception.
"""

from __future__ import annotations

from bot.core.models import ChatRef


class NewsbriefError(Exception):
    """Base class of every exception newsbrief raises on purpose."""


class ConfigError(NewsbriefError):
    """Invalid configuration. ``problems`` lists every bad field with its fix; ``str()`` is
    the one problem, or a list of them under ``invalid configuration:``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:
            super().__init__(problems[0])
        else:
            super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class StartupError(NewsbriefError):
    """newsbrief cannot start (the database or a chat platform is unreachable); ``str()`` is
    the whole message for the operator: what was tried and what to do."""


class UserInputError(NewsbriefError):
    """A command cannot be carried out; the message says what to type instead."""


class FeedError(NewsbriefError):
    """A feed or article could not be fetched or parsed."""


class UnsafeURLError(FeedError):
    """A URL submitted from chat is refused by the SSRF guard."""


class FeedUnavailableError(FeedError):
    """Network error, timeout, HTTP error status, or a body over the size cap."""


class HostThrottledError(FeedError):
    """The host answered 429/503; nothing may be sent to it for ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedParseError(FeedError):
    """The body is not a usable feed."""


class DeliveryError(NewsbriefError):
    """Sending a brief failed; the outbox will retry it later."""


class RateLimited(DeliveryError):
    """The platform asked for a pause of ``retry_after`` seconds before the next send."""

    def __init__(
        self, retry_after: float, message: str = "rate limited", *, is_global: bool = False
    ) -> None:
        super().__init__(f"{message} (retry after {retry_after:g}s)")
        self.retry_after = retry_after
        self.is_global = is_global
        """The platform said the limit is its global one (Discord ``global: true``)."""


class ChatUnavailable(DeliveryError):
    """The chat cannot receive messages (blocked, kicked, deleted, no rights)."""


class ChatMoved(DeliveryError):
    """The chat continues under a new id; subscriptions and pending deliveries must move."""

    def __init__(self, new_chat: ChatRef) -> None:
        super().__init__(f"chat moved to {new_chat}")
        self.new_chat = new_chat


class MessageGone(DeliveryError):
    """The message to edit no longer exists (deleted, or past the platform's edit window):
    the edit is given up at once, never retried."""


class StorageError(NewsbriefError):
    """The database failed."""
