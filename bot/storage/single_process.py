"""One ``newsbrief run`` per SQLite file.

SQLite is the one-process default: its outbox reclaim at start-up (``reclaim_deliveries``)
and its single pooled connection assume no other process works on the same file. A second
process on that file would hand the first one's in-flight sends out again. So ``run`` takes
an exclusive ``fcntl`` lock on ``<database>.lock`` next to the database for the life of the
process. The kernel drops the lock when the process ends, however it ends, so a file left by a
killed process never blocks the next start; only a live process holding it does.
PostgreSQL takes no such lock: several workers on one PostgreSQL database are supported.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.core.errors import NewsbriefError


class DatabaseInUse(NewsbriefError):
    """Another live newsbrief process holds the SQLite file; ``str()`` is the message."""


class ProcessLock:
    """An exclusive lock on one file, held until ``release`` or the end of the process."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the fcntl lock
            self._fd = None


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; ``None`` for in-memory SQLite or another database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database
    if not database or database == ":memory:" or "mode=memory" in url:
        return None
    return Path(database)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def acquire_sqlite_lock(url: str) -> ProcessLock | None:
    """Lock the SQLite file of ``url`` for this process (``None`` when ``url`` is not a SQLite
    file). Raises ``DatabaseInUse`` when another process holds it."""
    database = sqlite_file(url)
    if database is None:
        return None
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise DatabaseInUse(
            f"another newsbrief process uses the SQLite database {database} "
            f"(it holds {path}); stop it first. SQLite allows one newsbrief process per "
            "database file: for more workers, use PostgreSQL "
            "(NEWSBRIEF_DATABASE_URL=postgresql+asyncpg://user:password@host/db)."
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return ProcessLock(path, fd)
