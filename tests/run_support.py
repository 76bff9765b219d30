"""Start ``newsbrief run`` as a subprocess, configured only through environment variables,
with a one-feed catalogue pointing at a loopback feed server."""

from __future__ import annotations

import asyncio
import os
import socket
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


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_to_exit(tmp_path: Path, *, within: float = 90, **settings: str) -> tuple[int, str]:
    """Run ``newsbrief run`` until it exits by itself (a start-up failure): its exit code and
    stderr. The feed is never polled."""
    feed = f"http://127.0.0.1:{closed_port()}/feed.xml"
    async with newsbrief_run(tmp_path, feed, **settings) as proc:
        code = await asyncio.wait_for(proc.wait(), within)
    return code, (tmp_path / "stderr.log").read_text()


def one_message(stderr: str) -> str:
    """The one line ``newsbrief: ...`` that is all of ``stderr``; no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("newsbrief: "), stderr
    return lines[0]
