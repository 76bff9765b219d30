"""Workers that start together on a fresh PostgreSQL migrate once, behind an advisory lock:
three ``newsbrief db upgrade`` processes started at the same moment all succeed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import text

from bot.storage.migrate import make_engine
from tests.postgres import postgres_server

ROOT = Path(__file__).resolve().parents[1]


async def _upgrade_process(url: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEWSBRIEF_DATABASE_URL": url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "upgrade",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return int(proc.returncode or 0), out.decode(errors="replace")


async def test_three_concurrent_upgrades_on_a_fresh_database_all_succeed() -> None:
    with postgres_server() as url:
        results = await asyncio.gather(*(_upgrade_process(url) for _ in range(3)))
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                heads = list(await conn.scalars(text("SELECT version_num FROM alembic_version")))
        finally:
            await engine.dispose()
    assert [out for rc, out in results if rc != 0] == []
    assert all("database is up to date" in out for _, out in results)
    assert len(heads) == 1
