"""SQLite stays one process: a second `newsbrief run` on the same file refuses to start with
one clear message; a lock file left by a killed process does not block the next start."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.storage.single_process import (
    DatabaseInUse,
    acquire_sqlite_lock,
    lock_path,
    sqlite_file,
)
from tests.loopback import FeedServer
from tests.run_support import ROOT, check_alive, newsbrief_run

HOLDER = """
import sys, time
from bot.storage.single_process import acquire_sqlite_lock
lock = acquire_sqlite_lock(sys.argv[1])
print("locked", flush=True)
time.sleep(600)
"""


async def _holder(url: str) -> asyncio.subprocess.Process:
    """A process that takes the lock on ``url`` and keeps it until killed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        url,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        assert await proc.stdout.readline() == b"locked\n"
    return proc


def test_which_urls_take_the_lock(tmp_path: Path) -> None:
    assert sqlite_file(f"sqlite+aiosqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("sqlite+aiosqlite://") is None
    assert sqlite_file("postgresql+asyncpg://u:p@localhost/db") is None
    assert lock_path(tmp_path / "a.db") == tmp_path / "a.db.lock"
    assert acquire_sqlite_lock("postgresql+asyncpg://u:p@localhost/db") is None


async def test_a_live_holder_blocks_and_a_killed_one_does_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'news.db'}"
    holder = await _holder(url)
    try:
        with pytest.raises(DatabaseInUse) as refused:
            acquire_sqlite_lock(url)
        message = str(refused.value)
        assert str(tmp_path / "data" / "news.db") in message
        assert "NEWSBRIEF_DATABASE_URL=postgresql+asyncpg://" in message
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    assert lock_path(tmp_path / "data" / "news.db").exists()  # the stale file stays ...
    lock = acquire_sqlite_lock(url)  # ... and does not block
    assert lock is not None
    lock.release()


async def test_a_second_run_on_the_same_sqlite_file_refuses_to_start(
    server: FeedServer, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    async with newsbrief_run(tmp_path, server.url) as first:
        async with asyncio.timeout(60):
            await server.polled.wait()  # the first one is up and polling
        check_alive(first, tmp_path)
        async with newsbrief_run(second_dir, server.url, NEWSBRIEF_DATABASE_URL=database) as second:
            async with asyncio.timeout(60):
                assert await second.wait() == 2
        stderr = (second_dir / "stderr.log").read_text()
        assert "another newsbrief process uses the SQLite database" in stderr
        assert "NEWSBRIEF_DATABASE_URL=postgresql+asyncpg://" in stderr
        assert "Traceback" not in stderr
        check_alive(first, tmp_path)  # the first one is untouched
        first.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await first.wait() == 0
    # Once the first has stopped, the same file starts again.
    server.polled.clear()
    async with newsbrief_run(second_dir, server.url, NEWSBRIEF_DATABASE_URL=database) as again:
        async with asyncio.timeout(60):
            await server.polled.wait()
        check_alive(again, second_dir)
