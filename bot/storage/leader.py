"""Cluster-wide singletons: named roles held by PostgreSQL session-level advisory locks.

Several ``newsbrief run`` workers on one PostgreSQL database share the work, but a few jobs
must run in exactly one of them: the Telegram long-poll receiver (a second ``getUpdates``
makes Telegram answer 409 Conflict), housekeeping and digest times, each Discord shard's
gateway session. Each such job is a ``Role`` of the process's ``Cluster``.

The cluster keeps one dedicated connection (autocommit, outside the storage's pool) on which
it takes each role's lock with ``pg_try_advisory_lock``. A session-level lock lives as long
as the session: a worker that dies, however it dies, loses its connection and with it its
locks, and a standby's next try (every ``retry_seconds``) takes the role over. TCP keepalives
on the connection let the server notice a holder that vanished without closing it. The holder
checks its connection at every round; when it fails or does not answer within
``retry_seconds``, every role it held is given up at once (its ``on_lost`` runs) before it
reconnects and tries again like a standby.

Roles of one *group* (the Discord shards) are shared out: every worker also holds a shared
lock, ``MEMBERS``, for as long as its connection lives, so the number of its holders is the
number of live workers, and a worker takes at most ``ceil(roles in group / workers)`` of the
group. One that holds more (it started first, or a worker joined) gives one up per round, for
a standby to take at its next round.

A role's ``on_gained`` runs only after its lock is held, so a new Telegram receiver starts
polling only once the old one's lock is gone. A role registered with ``handover=True`` (the
receiver, the shards) starts one round later still: a holder whose connection died while its
process lives has by then run a round of its own, found the connection dead and stopped, so
two workers never poll (or open the same shard) at once. On SQLite (one process per file, see
``single_process``) and without a database URL every role is held from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import zlib
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
"""How often a standby tries to take a free role (and the holder checks its connection)."""

LOCK_SPACE = 0x6E62
"""The high 32 bits of every role's advisory lock key (``nb``; migrations use 0x6E620001)."""

KEEPALIVES = {
    "application_name": "newsbrief-leader",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
"""A holder that vanished without closing its connection is dropped by the server in ~25 s
(asyncpg's ``server_settings``: the settings of this session only)."""

Hook = Callable[[], Awaitable[None]]

MEMBERS = "members"
"""The role name whose shared lock every live worker holds (counted to share groups out)."""


def lock_key(name: str) -> int:
    """The bigint advisory lock key of role ``name`` (stable across processes)."""
    return (LOCK_SPACE << 32) | zlib.crc32(name.encode())


class Role:
    """One named singleton; ``held`` is true while this process holds it."""

    def __init__(
        self, name: str, on_gained: Hook | None, on_lost: Hook | None, group: str | None = None
    ) -> None:
        self.name = name
        self.group = group
        self.key = lock_key(name)
        self.held = False
        self.locked = False
        """This process holds the lock (``held`` follows, at once or one round later)."""
        self.handover = False
        self._on_gained = on_gained
        self._on_lost = on_lost

    async def gained(self) -> None:
        self.held = True
        logger.info("this worker now holds the %s role", self.name)
        if self._on_gained is not None:
            await self._on_gained()

    async def lost(self) -> None:
        self.locked = False
        if not self.held:
            return
        self.held = False
        logger.info("this worker gave up the %s role", self.name)
        if self._on_lost is not None:
            await self._on_lost()


class Cluster:
    """The roles of one process and the connection that holds their locks."""

    def __init__(self, database_url: str | None, *, retry_seconds: float = RETRY_SECONDS) -> None:
        self.shared = database_url is not None and database_url.startswith("postgresql")
        """True when other workers may share the database (PostgreSQL)."""
        self._url = database_url
        self._retry = retry_seconds
        self._roles: dict[str, Role] = {}
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._round_lock = asyncio.Lock()

    def role(
        self,
        name: str,
        *,
        on_gained: Hook | None = None,
        on_lost: Hook | None = None,
        group: str | None = None,
        handover: bool = False,
    ) -> Role:
        """Register role ``name`` (before ``start``, or taken at the next round); the roles
        of a ``group`` are shared out among the live workers; a ``handover`` role starts one
        round after its lock is taken."""
        if name in self._roles or name == MEMBERS:
            raise ValueError(f"role {name} registered twice")
        role = self._roles[name] = Role(name, on_gained, on_lost, group)
        role.handover = handover
        return role

    def held(self, name: str) -> bool:
        role = self._roles.get(name)
        return role is not None and role.held

    def roles(self) -> dict[str, bool]:
        """Every registered role and whether this process holds it."""
        return {name: role.held for name, role in self._roles.items()}

    async def start(self) -> None:
        """Take every free role now, then keep trying in the background."""
        if not self.shared:
            for role in self._roles.values():
                role.locked = True
                await role.gained()
            return
        assert self._url is not None
        asyncpg = make_url(self._url).get_driver_name() == "asyncpg"
        self._engine = create_async_engine(
            self._url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": KEEPALIVES} if asyncpg else {},
        )
        await self.round()
        self._task = asyncio.create_task(self._run(), name="cluster-roles")

    async def stop(self) -> None:
        """Give up every role (``on_lost`` in reverse order) and release the locks."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._round_lock:
            await self._lose_all()
            await self._disconnect()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._retry)
            try:
                await self.round()
            except Exception:
                logger.exception("cluster role round failed; retrying")

    async def round(self) -> None:
        """Check the held locks' connection, then try to take each free role once."""
        async with self._round_lock:
            try:
                await self._try_roles()
            except Exception as exc:
                logger.warning("lost the cluster lock connection (%s: %s)", type(exc).__name__, exc)
                await self._lose_all()
                await self._disconnect()

    async def _try_roles(self) -> None:
        async with asyncio.timeout(self._retry):  # a database that hangs counts as lost
            workers = await self._check()
        assert self._conn is not None
        for role in self._roles.values():
            if role.locked:
                if not role.held:  # a handover role locked last round: start it now
                    await self._gain(role)
                continue
            if role.group is not None and self._locked_in(role.group) >= self._share(
                role.group, workers
            ):
                continue
            async with asyncio.timeout(self._retry):
                got = await self._conn.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": role.key}
                )
            if got:
                role.locked = True
                if not role.handover:
                    await self._gain(role)
        for group in {r.group for r in self._roles.values() if r.group is not None}:
            if self._locked_in(group) > self._share(group, workers):
                last = [r for r in self._roles.values() if r.group == group and r.locked][-1]
                await self._release(last)

    async def _check(self) -> int:
        """Check (or open) the lock connection; returns the number of live workers."""
        if self._conn is not None:
            await self._conn.execute(text("SELECT 1"))
        else:
            assert self._engine is not None
            self._conn = await self._engine.connect()
            await self._conn.execute(
                text("SELECT pg_advisory_lock_shared(:key)"), {"key": lock_key(MEMBERS)}
            )
        return max(1, await self._members())

    async def _members(self) -> int:
        assert self._conn is not None
        key = lock_key(MEMBERS)
        count = await self._conn.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND mode = 'ShareLock' AND classid = :high AND objid = :low"
            ),
            {"high": key >> 32, "low": key & 0xFFFF_FFFF},
        )
        return int(count or 0)

    def held_in(self, group: str) -> int:
        """How many roles of ``group`` this process holds."""
        return sum(1 for r in self._roles.values() if r.group == group and r.held)

    def _locked_in(self, group: str) -> int:
        return sum(1 for r in self._roles.values() if r.group == group and r.locked)

    def _share(self, group: str, workers: int) -> int:
        size = sum(1 for r in self._roles.values() if r.group == group)
        return math.ceil(size / workers)

    async def _release(self, role: Role) -> None:
        await role.lost()
        if self._conn is not None:
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": role.key})

    async def _gain(self, role: Role) -> None:
        try:
            await role.gained()
        except Exception:
            logger.exception("starting the %s role failed; releasing it", role.name)
            await self._release(role)

    async def _lose_all(self) -> None:
        for role in reversed(list(self._roles.values())):
            try:
                await role.lost()
            except Exception:
                logger.exception("stopping the %s role failed", role.name)

    async def _disconnect(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._retry):
                    await conn.close()  # closing the session releases its advisory locks
