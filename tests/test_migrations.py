"""The Alembic migrations build exactly the schema that ``bot/storage/tables.py`` declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.core.alerts import parse_query
from bot.core.models import ChatRef, Platform
from bot.storage.migrate import _alembic_config, make_engine, upgrade
from bot.storage.repository import SqlStorage
from bot.storage.tables import Base


def _not_fts(name: str | None, type_: str, parent_names: Any) -> bool:
    """The SQLite FTS5 index of brief search (migration 0007) is no SQLAlchemy model."""
    return not (type_ == "table" and (name or "").startswith("briefs_fts"))


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _not_fts}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == [], "a table changed without a migration (or the reverse)"


async def test_0007_indexes_the_briefs_stored_before_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda c: command.upgrade(_alembic_config(c), "0006_outbox_notices")
            )
            await connection.execute(
                text(
                    "INSERT INTO feeds (id, url, title, topics, language, trusted, in_catalogue,"
                    " failures, primed) VALUES ('bbc', 'https://b.example', 'BBC', '', 'en',"
                    " 1, 1, 0, 1)"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO briefs (story_key, feed_id, title, summary, link, published,"
                    " image_url, created_at) VALUES ('k', 'bbc', 'Sudža shelled', 'Kursk.',"
                    " 'https://b.example/1', '2026-01-01', '', '2026-01-01')"
                )
            )
            await connection.execute(
                text("INSERT INTO brief_sources VALUES (1, 'bbc', '2026-01-01')")
            )
        await upgrade(engine)
        storage = SqlStorage(engine)
        found = await storage.search_briefs(
            ChatRef(Platform.TELEGRAM, "1"), parse_query("sudza kursk"), 5
        )
        assert [b.title for b in found] == ["Sudža shelled"] and storage._fts5
    finally:
        await engine.dispose()
