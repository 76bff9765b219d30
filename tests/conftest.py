"""Shared fixtures: storages for the contract tests, the shared corpora folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage import SqlStorage, make_engine, open_storage
from tests.fakes import FakeStorage
from tests.loopback import many_feeds, server
from tests.postgres import postgres_server

__all__ = ["many_feeds", "server"]

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost,::1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora sit beside the repository)")
    return path


@pytest.fixture
async def sqlite_storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    yield storage
    await storage.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


async def _reset_postgres(url: str) -> None:
    """Drop everything so that each test starts from an empty, freshly migrated database."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=["fake", "sqlite", "postgresql"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[FakeStorage | SqlStorage]:
    if request.param == "fake":
        yield FakeStorage()
        return
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        await _reset_postgres(url)
    sql = await open_storage(url)
    yield sql
    await sql.close()
