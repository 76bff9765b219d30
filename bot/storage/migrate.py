"""Schema migrations with Alembic, applied programmatically at start-up.

``upgrade(engine)`` runs every migration in ``bot/storage/migrations/versions`` up to head on
the given async engine. It is idempotent, so ``newsbrief run`` calls it every start and
``newsbrief db upgrade`` exists for operators who migrate before rolling out.

On PostgreSQL several workers may start at once on a fresh database; Alembic's first
``CREATE TABLE alembic_version`` would then race and all but one fail. So the upgrade runs
behind a transaction-level advisory lock (``MIGRATION_LOCK``): the first worker migrates, the
others wait for its commit, then find the schema current and go on. SQLite needs no lock
(``BEGIN IMMEDIATE`` already makes the migration transaction exclusive).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.storage.repository import SqlStorage

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x6E62_0001
"""The PostgreSQL advisory lock key under which migrations run (``nb`` + 1)."""


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade_sync(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit; a worker that waited here sees the migrated schema.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade_sync)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work during a write; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
    # Let SQLAlchemy, not the sqlite3 module, begin transactions (see _sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction begins, not at its first write.

    A deferred transaction that read and then writes while another connection committed in
    between fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT: busy_timeout does
    not apply). Several feeds storing stories at the same time hit exactly that. With
    BEGIN IMMEDIATE a transaction waits (busy_timeout, in the driver's thread) for the lock.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> AsyncEngine:
    """An async engine for ``url``; for SQLite, the file's folder is created if needed."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite") and ":memory:" not in url:
        # One connection: this process's transactions queue for it in asyncio instead of
        # contending for SQLite's file lock from several driver threads, where a loaded event
        # loop (the lock holder waits for its turn on the loop) ran out the busy timeout.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=120)
    else:
        engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


async def open_storage(url: str) -> SqlStorage:
    """Connect, migrate to the newest schema, and return the repository."""
    engine = make_engine(url)
    await upgrade(engine)
    return SqlStorage(engine)
