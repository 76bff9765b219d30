"""Persistence: SQLAlchemy 2 async repository (``SqlStorage``) and Alembic migrations."""

from bot.storage.migrate import make_engine, open_storage, upgrade
from bot.storage.repository import SqlStorage

__all__ = ["SqlStorage", "make_engine", "open_storage", "upgrade"]
