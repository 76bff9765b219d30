"""Fixtures for the delivery tests: SQLite db in a temp dir, a time machine, a notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.models import Feed
from bot.storage import SqlStorage, open_storage
from tests.core.delivery_support import TimeMachine
from tests.fakes import RecordingNotifier


@pytest.fixture
def clock() -> TimeMachine:
    return TimeMachine()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'newsbrief.db'}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[SqlStorage]:
    store = await open_storage(db_url)
    await store.sync_catalogue(
        [
            Feed("wire", "https://wire.example/rss", "Wire"),
            Feed("daily", "https://daily.example/rss", "Daily"),
            Feed("other", "https://other.example/rss", "Other"),
        ]
    )
    yield store
    await store.close()
