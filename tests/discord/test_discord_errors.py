"""``DiscordNotifier`` turns every discord.py failure into the core's error that says what to do
(wait, give the chat up, retry later, never edit again), on small stand-ins for the client and
its channels; a chat that refuses the bot leaves a notice for its admins."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, cast

import aiohttp
import discord
import pytest

from bot.adapters.discord_bot.notifier import (
    BAN_RETRY_AFTER,
    DiscordNotifier,
    retry_after_header,
)
from bot.core.errors import (
    ChatUnavailable,
    DeliveryError,
    MessageGone,
    RateLimited,
    StorageError,
)
from bot.core.models import Brief, ChatRef, Platform
from tests.fakes import T0

CHANNEL_ID = 4242
CHAT = ChatRef(Platform.DISCORD, str(CHANNEL_ID))
BRIEF = Brief(1, "k", "f", "Troops cross", "Fighting went on.", "https://n.example/1", "BBC", T0)


def http_error(status: int, code: int = 0, text: str = "error", **headers: str) -> Any:
    response = SimpleNamespace(status=status, reason=text, headers=headers)
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    return kind(response, {"code": code, "message": text} if code else text)


class Channel(discord.abc.Messageable):
    """A channel whose sends raise ``error`` (else answer a message with id 77)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.sent: list[dict[str, Any]] = []

    async def send(self, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.error is not None:
            raise self.error
        self.sent.append(kwargs)
        return SimpleNamespace(id=77, channel=SimpleNamespace(id=CHANNEL_ID))


class Message:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error
        self.edits: list[dict[str, Any]] = []

    async def edit(self, **kwargs: Any) -> None:
        if self.error is not None:
            raise self.error
        self.edits.append(kwargs)


class Client:
    """Just what the notifier asks of ``discord.Client``."""

    def __init__(self, channel: object | None = None, edit_error: BaseException | None = None):
        self.channel = channel
        self.message = Message(edit_error)
        self.partials: list[int] = []
        self.partial: Channel | None = None

    def get_channel(self, channel_id: int) -> object | None:
        return self.channel

    def get_partial_messageable(self, channel_id: int) -> Any:
        self.partials.append(channel_id)
        partial = Channel()
        partial.get_partial_message = lambda _id: self.message  # type: ignore[attr-defined]
        self.partial = partial
        return partial


class Notices:
    def __init__(self, error: Exception | None = None) -> None:
        self.left: list[tuple[ChatRef, str]] = []
        self.error = error

    async def __call__(self, chat: ChatRef, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.left.append((chat, text))


def _notifier(client: Client, notices: Notices | None = None) -> DiscordNotifier:
    return DiscordNotifier(cast(discord.Client, client), notices or Notices())


async def test_a_brief_is_posted_and_named_by_channel_and_message() -> None:
    channel = Channel()
    notifier = _notifier(Client(channel))
    assert await notifier.send_brief(CHAT, BRIEF) == f"{CHANNEL_ID}:77"
    [sent] = channel.sent
    assert sent["allowed_mentions"].to_dict() == {"parse": []}
    assert sent["embeds"][0].title == "Troops cross"


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (http_error(403, 50013, "Missing Permissions"), ChatUnavailable, "403 Missing Permissions"),
        (http_error(404, 10003, "Unknown Channel"), ChatUnavailable, "(code 10003)"),
        (http_error(400, 160005, "Thread is locked"), ChatUnavailable, "Thread is locked"),
        (http_error(400, 50035, "Invalid Form Body"), DeliveryError, "answered 400"),
        (http_error(503, 0, "upstream"), DeliveryError, "answered 503: upstream"),
        (aiohttp.ClientConnectionError("reset by peer"), DeliveryError, "reset by peer"),
        (TimeoutError(), DeliveryError, "Discord send failed: TimeoutError()"),
    ],
)
async def test_send_failures_become_the_cores_errors(
    error: BaseException, expected: type[Exception], words: str
) -> None:
    notices = Notices()
    notifier = _notifier(Client(Channel(error)), notices)
    with pytest.raises(expected) as raised:
        await notifier.send_text(CHAT, "hello")
    assert type(raised.value) is expected and words in str(raised.value)
    assert raised.value.__cause__ is error
    if expected is ChatUnavailable:
        [(where, text)] = notices.left
        assert where == CHAT  # a channel outside a server: the notice stays with the chat
        assert text.startswith(f"newsbrief could not post in <#{CHANNEL_ID}>: ")
        assert "Send Messages and Embed Links" in text
    else:
        assert notices.left == []  # a passing failure bothers nobody


async def test_rate_limits_wait_and_a_429_without_headers_holds_everything() -> None:
    notifier = _notifier(Client(Channel(discord.RateLimited(12.5))))
    with pytest.raises(RateLimited) as per_route:
        await notifier.send_digest(CHAT, "Your 08:00 briefing: 1 story", [BRIEF])
    assert per_route.value.retry_after == 12.5 and not per_route.value.is_global
    banned = _notifier(Client(Channel(http_error(429, text="banned", **{"Retry-After": "30"}))))
    with pytest.raises(RateLimited) as ban:
        await banned.send_brief(CHAT, BRIEF)
    assert ban.value.retry_after == 30.0 and ban.value.is_global


def test_a_missing_or_unreadable_retry_after_waits_the_ban_default() -> None:
    assert retry_after_header(http_error(429)) == BAN_RETRY_AFTER
    assert retry_after_header(http_error(429, **{"Retry-After": "soon"})) == BAN_RETRY_AFTER
    assert retry_after_header(http_error(429, **{"Retry-After": "0.2"})) == 1.0  # at least 1 s


async def test_a_channel_that_cannot_take_messages_is_a_delivery_error() -> None:
    category = SimpleNamespace(id=CHANNEL_ID, name="News")  # e.g. a category channel
    notifier = _notifier(Client(category))
    with pytest.raises(DeliveryError, match=f"channel {CHANNEL_ID} cannot receive messages"):
        await notifier.send_text(CHAT, "hello")


async def test_an_uncached_channel_is_posted_to_by_id() -> None:
    client = Client(None)
    notifier = _notifier(client)
    await notifier.send_text(ChatRef(Platform.DISCORD, "1", "9001"), "hello")
    assert client.partials == [9001]  # a set thread id is the channel posted to
    assert client.partial is not None
    assert [m["content"] for m in client.partial.sent] == ["hello"]


async def test_a_notice_that_cannot_be_stored_still_gives_the_chat_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notices = Notices(StorageError("database error: OperationalError: locked"))
    notifier = _notifier(Client(Channel(http_error(403, 50001, "Missing Access"))), notices)
    with (
        caplog.at_level(logging.WARNING, "bot.adapters.discord_bot.notifier"),
        pytest.raises(ChatUnavailable),
    ):
        await notifier.send_text(CHAT, "hello")
    [record] = caplog.records
    assert record.getMessage() == f"could not store a notice for {CHAT}"


@pytest.mark.parametrize(
    ("error", "expected", "words"),
    [
        (http_error(404, 10008, "Unknown Message"), MessageGone, "404 Unknown Message"),
        (http_error(403, 50001, "Missing Access"), MessageGone, "(code 50001)"),
        (http_error(400, 50083, "archived thread"), MessageGone, "archived thread"),
        (http_error(500, 0, "oops"), DeliveryError, "Discord edit failed: 500 oops"),
        (aiohttp.ServerDisconnectedError(), DeliveryError, "Discord edit failed"),
    ],
)
async def test_edit_failures_become_the_cores_errors(
    error: BaseException, expected: type[Exception], words: str
) -> None:
    notifier = _notifier(Client(edit_error=error))
    with pytest.raises(expected) as raised:
        await notifier.edit_brief(CHAT, f"{CHANNEL_ID}:77", BRIEF)
    assert type(raised.value) is expected and words in str(raised.value)


async def test_edit_rate_limits_and_a_bad_message_id() -> None:
    limited = _notifier(Client(edit_error=discord.RateLimited(4.0)))
    with pytest.raises(RateLimited) as raised:
        await limited.edit_brief(CHAT, f"{CHANNEL_ID}:77", BRIEF)
    assert raised.value.retry_after == 4.0 and not raised.value.is_global
    banned = _notifier(Client(edit_error=http_error(429, text="banned")))
    with pytest.raises(RateLimited) as ban:
        await banned.edit_brief(CHAT, f"{CHANNEL_ID}:77", BRIEF)
    assert ban.value.is_global and ban.value.retry_after == BAN_RETRY_AFTER
    client = Client()
    with pytest.raises(MessageGone, match="not a Discord message id: 'm1'"):
        await _notifier(client).edit_brief(CHAT, "m1", BRIEF)
    assert client.message.edits == []


async def test_an_edit_rewrites_the_message_it_names() -> None:
    client = Client()
    await _notifier(client).edit_brief(CHAT, f"{CHANNEL_ID}:77", BRIEF, alert_terms=("troops",))
    assert client.partials == [CHANNEL_ID]
    [edit] = client.message.edits
    assert edit["embeds"][0].title == "Troops cross"
    assert edit["content"] == 'Alert "troops":'  # an alert keeps its prefix when edited
    assert edit["allowed_mentions"].to_dict() == {"parse": []}
