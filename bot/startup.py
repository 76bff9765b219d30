"""Start-up failures as one clear message: the database, masked secrets, misspelt settings.

``open_database`` connects and migrates; a PostgreSQL server that is not up yet is retried
with back-off for ``NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS`` (compose starts the bot beside
its database), then ``StartupError`` says what was tried and what to do. A damaged SQLite file
(not a database, truncated, read-only, a directory at the path) fails at once with a message
naming the file. ``bot.__main__`` prints ``StartupError`` as one line and exits 1.
"""

from __future__ import annotations

import asyncio
import difflib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.config import mask_secrets
from bot.core.errors import StartupError
from bot.retry import error_reason, retrying
from bot.storage import SqlStorage, make_engine, upgrade

__all__ = ["StartupError", "environ_warnings", "mask_url", "open_database", "unknown_settings"]


def mask_url(url: str) -> str:
    """``url`` with its password, if any, shown as ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return mask_secrets(url)


def unknown_settings(
    known: Iterable[str], environ: Mapping[str, str], env_file: Path | None = None
) -> list[str]:
    """One warning per ``NEWSBRIEF_*`` name in ``environ`` or ``env_file`` that is no setting."""
    known_names = sorted(set(known))
    seen: dict[str, str] = {}
    for name in environ:
        if name.upper().startswith("NEWSBRIEF_"):
            seen.setdefault(name.upper(), "the environment")
    if env_file is not None and env_file.is_file():
        for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
            name = line.strip().removeprefix("export ").split("=", 1)[0].strip()
            if name.upper().startswith("NEWSBRIEF_"):
                seen.setdefault(name.upper(), str(env_file))
    warnings = []
    for name, where in sorted(seen.items()):
        if name in known_names:
            continue
        close = difflib.get_close_matches(name, known_names, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else "; see the settings table in README.md"
        warnings.append(f"unknown setting {name} in {where} is ignored{hint}")
    return warnings


def _sqlite_path(url: str) -> str | None:
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


def _sqlite_advice(path: str, exc: BaseException) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip() or type(exc).__name__
    where = f"cannot open the SQLite database {path} ({reason})"
    if Path(path).is_dir():
        fix = "a directory is at that path: point NEWSBRIEF_DATABASE_URL at a file path"
    elif "readonly" in reason or "read-only" in reason or isinstance(exc, PermissionError):
        fix = "the file or its folder is read-only: give the bot's user write permission to both"
    elif "not a database" in reason or "malformed" in reason or "corrupt" in reason:
        fix = (
            "the file is damaged or is not a SQLite database: restore it from a backup, or move "
            "it aside to start with an empty database"
        )
    else:
        fix = "check that the path in NEWSBRIEF_DATABASE_URL is a writable file location"
    return f"{where}: {fix}"


async def open_database(
    url: str,
    timeout_seconds: float,
    *,
    sleep: Callable[[float], object] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> SqlStorage:
    """Connect, migrate and return the repository, or raise ``StartupError``."""
    sqlite_path = _sqlite_path(url)

    async def attempt() -> SqlStorage:
        try:
            engine = make_engine(url)
        except OSError as exc:
            raise StartupError(_sqlite_advice(sqlite_path or url, exc)) from None
        try:
            await upgrade(engine)
            return SqlStorage(engine)
        except _UNREACHABLE as exc:
            await engine.dispose()
            if sqlite_path is not None:
                await asyncio.to_thread(_join_sqlite_threads)
                raise StartupError(_sqlite_advice(sqlite_path, exc)) from None
            raise

    try:
        return await retrying(
            attempt,
            transient=_UNREACHABLE,
            timeout_seconds=timeout_seconds,
            what=f"database at {mask_url(url)}",
            sleep=sleep,
            monotonic=monotonic,
        )
    except _UNREACHABLE as exc:
        raise StartupError(
            f"cannot reach the database at NEWSBRIEF_DATABASE_URL={mask_url(url)} "
            f"after {timeout_seconds:g} s ({mask_secrets(error_reason(exc))}): start the "
            "database server, check the host, port, database name and credentials, or raise "
            "NEWSBRIEF_DATABASE_STARTUP_TIMEOUT_SECONDS"
        ) from None


_UNREACHABLE = (DBAPIError, OSError, TimeoutError)


def _join_sqlite_threads() -> None:
    """Wait for aiosqlite's worker threads of the failed connection to end.

    A failed connect stops its worker thread without waiting for it; if the event loop closed
    first, the thread prints a traceback ("Event loop is closed") on its way out.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and "_connection_worker_thread" in thread.name:
            thread.join(timeout=2.0)


OTHER_SETTINGS = ("NEWSBRIEF_ENCODER", "NEWSBRIEF_ONNX_CACHE")
"""Settings read outside ``Settings`` (by the summarizer package)."""


def environ_warnings(fields: Iterable[str]) -> list[str]:
    """``unknown_settings`` for this process's environment and ``./.env``.

    ``fields`` are ``Settings`` field names (``database_url``).
    """
    known = [f"NEWSBRIEF_{name.upper()}" for name in fields] + list(OTHER_SETTINGS)
    return unknown_settings(known, os.environ, Path(".env"))
