"""The console chat holds to the ``ChatAdapter`` contract (``tests/adapter_contract.py``)."""

from __future__ import annotations

import asyncio
import io
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.adapters.console.chat import CONSOLE_CHAT
from bot.core.commands import Commands
from bot.storage import open_storage
from tests import adapter_contract as contract
from tests.fakes import FakeFeedSource, FixedClock


class Blocks(io.StringIO):
    """Standard output, kept as the blocks the console prints."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []

    def write(self, text: str) -> int:
        self.blocks.append(text.rstrip("\n"))
        return len(text)


@pytest.fixture
def make(tmp_path: Path) -> contract.Make:
    @asynccontextmanager
    async def start(kind: type[Commands]) -> AsyncIterator[contract.Driver]:
        storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
        commands = kind(storage, FakeFeedSource(), FixedClock())
        read, write = os.pipe()
        stdin, typed = os.fdopen(read, "r"), os.fdopen(write, "w")
        out = Blocks()
        adapter = ConsoleAdapter(commands, stdin, out, FixedClock(), prompt=False)

        async def say(name: str, options: dict[str, str], n: int) -> list[str]:
            before = len(out.blocks)
            typed.write(contract.options_text(name, options) + "\n")
            typed.flush()
            deadline = time.monotonic() + 5
            while len(out.blocks) < before + n:
                assert time.monotonic() < deadline, out.blocks
                await asyncio.sleep(0.01)
            return out.blocks[before:]

        await adapter.start()
        try:
            yield contract.Driver(adapter, CONSOLE_CHAT, storage, say, commands=commands)
        finally:
            await adapter.stop()
            typed.close()  # the input thread sees the end and stops
            await asyncio.sleep(0.05)
            stdin.close()
            await storage.close()

    return start


@pytest.mark.parametrize("check", contract.CHECKS, ids=lambda c: c.__name__)
async def test_console_contract(
    check: Callable[[contract.Make], Awaitable[None]], make: contract.Make
) -> None:
    await check(make)
