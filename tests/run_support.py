"""Start ``newsbrief run`` as a subprocess, configured only through environment variables,
with a one-feed catalogue pointing at a loopback feed server."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def newsbrief_run(
    tmp_path: Path,
    feed_url: str,
    *,
    stdin: int = asyncio.subprocess.DEVNULL,
    stdout: int = asyncio.subprocess.DEVNULL,
    **settings: str,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Yield the running process (feed ``loop-news``, SQLite in ``tmp_path``, polling every
    second, the lead summariser); its stderr goes to ``tmp_path/stderr.log``. Killed on exit
    if the test did not stop it."""
    feeds = tmp_path / "feeds.yaml"
    entry = f"{{id: loop-news, title: Loopback News, url: '{feed_url}', topics: [world]}}"
    feeds.write_text(f"feeds:\n  - {entry}\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "NEWSBRIEF_FEEDS_FILE": str(feeds),
        "NEWSBRIEF_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "NEWSBRIEF_POLL_INTERVAL_SECONDS": "1",
        "NEWSBRIEF_SUMMARIZER": "lead",
        "NEWSBRIEF_TELEGRAM_TOKEN": "",
        "NEWSBRIEF_DISCORD_TOKEN": "",
        **settings,
    }
    env.pop("PTB_TIMEDELTA", None)  # the Telegram adapter must switch it on by itself
    with (tmp_path / "stderr.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=log,
        )
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def check_alive(proc: asyncio.subprocess.Process, tmp_path: Path) -> None:
    """Fail with the end of the bot's log when it died."""
    if proc.returncode is not None:
        raise AssertionError((tmp_path / "stderr.log").read_text()[-3000:])
