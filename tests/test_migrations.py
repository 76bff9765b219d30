"""The Alembic migrations build exactly the schema that ``bot/storage/tables.py`` declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from bot.storage.migrate import make_engine, upgrade
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
