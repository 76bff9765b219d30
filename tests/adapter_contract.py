"""The ``ChatAdapter`` contract (``bot.core.ports``), one check per duty, run by every platform.

Each platform's test module (``tests/test_console_contract.py``,
``tests/telegram/test_adapter_contract.py``, ``tests/discord/test_discord_contract.py``) gives a
``Make``: a factory that starts its adapter, with a ``Commands`` of the given class over real
storage, against its fake platform, and yields a :class:`Driver` for one chat where the caller
is an administrator. The checks here know nothing of any platform.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass, replace

import pytest

from bot.core.commands import Commands
from bot.core.errors import ChatUnavailable, RateLimited
from bot.core.models import ChatRef, Feed, Reply
from bot.core.ports import ChatAdapter, Notifier, Storage

HELP = "newsbrief sends short"
NOTICE = "The feed x was removed from the catalogue."
FIRE = "database on fire"
FEED = Feed("contract", "https://contract.example/feed.xml", "Contract News")


@dataclass
class Driver:
    """One running adapter and the chat its commands are run in."""

    adapter: ChatAdapter
    chat: ChatRef
    storage: Storage
    say: Callable[[str, dict[str, str], int], Awaitable[list[str]]]
    """Run the command ``name`` with ``options`` by the platform's own means (typed text,
    slash-command options); return the texts of the next ``n`` messages the caller sees."""
    refuse: Callable[[], None] | None = None
    """Script the platform to refuse the next send to ``chat`` (``None``: it cannot)."""
    throttle: Callable[[], None] | None = None
    """Script the platform to rate-limit the next send to ``chat`` (``None``: it cannot)."""
    commands: Commands | None = None


Make = Callable[[type[Commands]], AbstractAsyncContextManager[Driver]]


class Burning(Commands):
    """Commands whose /status fails as a bug would."""

    async def status(self, chat: ChatRef) -> Reply:
        raise RuntimeError(FIRE)


@contextmanager
def logged_errors() -> Iterator[list[logging.LogRecord]]:
    """The ERROR records logged meanwhile, by any logger."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield records
    finally:
        root.removeHandler(handler)


async def shape(make: Make) -> None:
    """It is a ``ChatAdapter`` whose notifier is a ``Notifier`` of the chat's platform."""
    async with make(Commands) as driver:
        assert isinstance(driver.adapter, ChatAdapter)
        notifier = driver.adapter.notifier
        assert isinstance(notifier, Notifier)
        assert notifier.platform == driver.chat.platform
        assert notifier.pace.interval(driver.chat) >= 0


async def touches_on_each_command(make: Make) -> None:
    """A chat disabled after refused deliveries receives again once it runs any command."""
    async with make(Commands) as driver:
        await driver.storage.sync_catalogue([FEED])
        settings = await driver.storage.get_chat(driver.chat)
        await driver.storage.save_chat(replace(settings, available=False, failures=3))
        (reply,) = await driver.say("latest", {}, 1)
        assert "No stories yet" in reply
        settings = await driver.storage.get_chat(driver.chat)
        assert settings.available and settings.failures == 0


async def shows_a_notice_to_an_admin_once(make: Make) -> None:
    """A pending notice reaches the next administrator who runs a command, once."""
    async with make(Commands) as driver:
        assert driver.commands is not None
        await driver.commands.leave_notice(driver.chat, NOTICE)
        first = await driver.say("help", {}, 2)
        assert any(NOTICE in t for t in first) and any(HELP in t for t in first)
        (again,) = await driver.say("help", {}, 1)
        assert HELP in again and NOTICE not in again


async def one_last_resort_handler(make: Make) -> None:
    """A command that raises is logged with its traceback; the user gets a polite answer."""
    async with make(Burning) as driver:
        with logged_errors() as errors:
            (reply,) = await driver.say("status", {}, 1)
        assert reply.startswith("Sorry") and FIRE not in reply
        assert [r for r in errors if r.exc_info and FIRE in str(r.exc_info[1])]


async def maps_errors_at_the_edge(make: Make) -> None:
    """The notifier raises the core's errors, not the SDK's."""
    async with make(Commands) as driver:
        notifier = driver.adapter.notifier
        if driver.refuse is not None:
            driver.refuse()
            with pytest.raises(ChatUnavailable):
                await notifier.send_text(driver.chat, "hello")
        if driver.throttle is not None:
            driver.throttle()
            with pytest.raises(RateLimited):
                await notifier.send_text(driver.chat, "hello")
        await notifier.send_text(driver.chat, "hello again")  # and it still sends


CHECKS: tuple[Callable[[Make], Awaitable[None]], ...] = (
    shape,
    touches_on_each_command,
    shows_a_notice_to_an_admin_once,
    one_last_resort_handler,
    maps_errors_at_the_edge,
)
"""Every duty of ``ChatAdapter``; platforms parametrize their test over these."""


def options_text(name: str, options: dict[str, str]) -> str:
    """A typed line for text platforms: ``/latest world 3``."""
    return " ".join([f"/{name}", *options.values()])
