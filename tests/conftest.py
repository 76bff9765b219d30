"""Shared fixtures: storages for the contract tests, the shared corpora folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import SqlStorage, open_storage
from tests.fakes import FakeStorage
from tests.loopback import server

__all__ = ["server"]

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


@pytest.fixture(params=["fake", "sqlite"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[FakeStorage | SqlStorage]:
    if request.param == "fake":
        yield FakeStorage()
        return
    sql = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}")
    yield sql
    await sql.close()
