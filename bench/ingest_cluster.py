"""``bench/ingest.py --workers N --database postgresql``: N worker processes on one PostgreSQL.

The same farm and feeds as ``bench/ingest.py``, on a throwaway PostgreSQL server
(``tests/postgres.py``). Each worker is its own process with its own ``SqlStorage`` (engine),
``HttpFeedSource`` and ``Pipeline``, as N ``newsbrief run`` processes would have; the feed
leases (``Storage.due_feeds``) split the due feeds between them. In one run, on one database:

1. prime: the workers poll the changing feeds once (so that every worker is warm);
2. ``--cycles`` cycles with one worker and ``--cycles`` with all N, alternately (the load of a
   shared machine drifts during a run); every feed is due in each cycle (the virtual clock
   moves a day).

Per cycle the workers report the feeds they fetched and the CPU time they used (process time,
all threads); the PostgreSQL server's CPU time is read from ``/proc`` (the postmaster with its
reaped children, and every live server process). Printed: feeds fetched more than once in a
cycle (target 0), each worker's share of the polls (target 40-60% for 2), polls/s, and CPU
per poll of workers + PostgreSQL against the one-worker cycles (target within 15%).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

from bench.ingest import MeteredSource, VirtualClock, build_pipeline, control, seed, server_stats
from bench.ingest_server import Mix
from bot.core.models import Feed, FeedState
from bot.core.ports import FetchResult
from bot.storage import open_storage

_TICK = os.sysconf("SC_CLK_TCK")
KEEPALIVE_GAP = 6.0
"""Seconds between cycles, past httpx's 5 s keep-alive: no worker starts a cycle with the
connections of the last one (as in service, where polls of a feed are minutes apart)."""


class CountingSource(MeteredSource):
    """The real source, noting the id of every feed it fetched."""

    fetched: ClassVar[list[str]] = []

    async def fetch(self, feed: Feed, state: FeedState) -> FetchResult:
        CountingSource.fetched.append(feed.id)
        return await super().fetch(feed, state)


def worker(url: str, args: dict[str, Any], conn: Connection) -> None:
    """Process entry point: poll at the times the parent sends; answer with what was done."""

    logging.basicConfig(level=logging.ERROR)  # failing feeds are expected, as in ingest.py

    async def main() -> None:
        clock = VirtualClock()
        storage = await open_storage(url)
        options = argparse.Namespace(**args)
        source, pipeline = build_pipeline(storage, clock, options, CountingSource)
        gc.freeze()
        conn.send("ready")
        while (now := await asyncio.to_thread(conn.recv)) is not None:
            clock.current = now
            CountingSource.fetched = []
            cpu = time.process_time()
            report = await pipeline.poll_due(now)
            cpu = time.process_time() - cpu
            conn.send((CountingSource.fetched, cpu, report.not_modified, report.failed))
        await source.aclose()
        await storage.close()

    asyncio.run(main())


def _stat(pid: int) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command name (``[1]`` is the parent)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _ticks(pid: int, *, children: bool) -> int:
    """utime + stime of ``pid`` (with ``children``: plus those of its reaped children)."""
    fields = _stat(pid)
    used = int(fields[11]) + int(fields[12])
    return used + (int(fields[13]) + int(fields[14]) if children else 0)


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, the server processes it
    has reaped (backends of closed connections) and the ones alive now."""
    total = _ticks(postmaster, children=True)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == postmaster:
            continue
        try:
            if int(_stat(int(entry.name))[1]) == postmaster:
                total += _ticks(int(entry.name), children=False)
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile (then counted in the postmaster's children)
    return total / _TICK


async def postmaster_pid(url: str) -> int:
    """The server's main process: the parent of this connection's backend."""
    from sqlalchemy import text

    from bot.storage import make_engine

    engine = make_engine(url)
    async with engine.connect() as conn:
        backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        parent = int(_stat(backend)[1])  # while the backend lives
    await engine.dispose()
    return parent


@dataclass
class Cycle:
    name: str
    workers: int
    fetched: list[list[str]]
    cpus: list[float]
    server_cpu: float
    wall: float
    not_modified: int
    failed: int

    @property
    def worker_cpu(self) -> float:
        return sum(self.cpus)

    @property
    def polls(self) -> int:
        return sum(len(f) for f in self.fetched)

    @property
    def twice(self) -> int:
        return sum(1 for n in Counter(i for f in self.fetched for i in f).values() if n > 1)

    def shares(self) -> list[float]:
        return [len(f) / max(self.polls, 1) for f in self.fetched]

    def line(self) -> str:
        per = 1000 / max(self.polls, 1)
        shares = " / ".join(
            f"{s:.1%} ({cpu:.1f} CPU-s)" for s, cpu in zip(self.shares(), self.cpus, strict=True)
        )
        return (
            f"{self.name:<20} {self.polls:>6} polls  {self.polls / self.wall:>6.0f} polls/s  "
            f"CPU-s/1000: workers {per * self.worker_cpu:>6.2f} + postgres "
            f"{per * self.server_cpu:>5.2f} = {per * (self.worker_cpu + self.server_cpu):>6.2f}  "
            f"fetched twice {self.twice}  304 {self.not_modified}  failed {self.failed}  "
            f"shares {shares}"
        )


async def _cycle(name: str, conns: list[Connection], now: datetime, postmaster: int) -> Cycle:
    server, wall = server_cpu(postmaster), time.perf_counter()
    for conn in conns:
        conn.send(now)
    answers = [await asyncio.to_thread(conn.recv) for conn in conns]
    wall, server = time.perf_counter() - wall, server_cpu(postmaster) - server
    return Cycle(
        name,
        len(conns),
        [a[0] for a in answers],
        [a[1] for a in answers],
        server,
        wall,
        sum(a[2] for a in answers),
        sum(a[3] for a in answers),
    )


def _summary(one: list[Cycle], many: list[Cycle], workers: int) -> list[str]:
    def per_poll(cycles: list[Cycle]) -> float:
        polls = sum(c.polls for c in cycles)
        return 1000 * sum(c.worker_cpu + c.server_cpu for c in cycles) / polls

    def rate(cycles: list[Cycle]) -> float:
        return sum(c.polls for c in cycles) / sum(c.wall for c in cycles)

    shares = [s for c in many for s in c.shares()]
    ratio = per_poll(many) / per_poll(one)
    twice = sum(c.twice for c in many)
    fair = all(0.4 <= s <= 0.6 for s in shares) if workers == 2 else None
    return [
        f"feeds fetched more than once in a cycle: {twice} with {workers} workers, "
        f"{sum(c.twice for c in one)} with 1 (target 0: {'met' if twice == 0 else 'MISSED'})",
        f"each worker's share of the polls per cycle: {min(shares):.1%} to {max(shares):.1%}"
        + ("" if fair is None else f" (target 40-60%: {'met' if fair else 'MISSED'})"),
        f"CPU per 1,000 polls, workers + PostgreSQL: {per_poll(one):.2f} s with 1 worker, "
        f"{per_poll(many):.2f} s with {workers} ({ratio:.2f}x; target within 15%: "
        f"{'met' if abs(ratio - 1) <= 0.15 else 'MISSED'})",
        f"polls/s: {rate(one):.0f} with 1 worker, {rate(many):.0f} with {workers} "
        f"({rate(many) / rate(one):.2f}x; {os.cpu_count()} cores shared with the feed server "
        "and PostgreSQL)",
    ]


async def run_cluster(args: argparse.Namespace, port: int, url: str) -> int:
    mix = Mix(args.changed, args.failing, args.slow)
    clock = VirtualClock()
    storage = await open_storage(url)
    hosts = await seed(storage, args.feeds, port, mix, clock)
    await storage.close()
    postmaster = await postmaster_pid(url)
    ctx = multiprocessing.get_context("spawn")
    options = {"concurrency": args.concurrency, "per_host": args.per_host}
    conns, procs = [], []
    for _ in range(args.workers):
        receive, send = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(url, options, send), daemon=True)
        proc.start()
        conns.append(receive)
        procs.append(proc)
    try:
        for conn in conns:
            assert await asyncio.to_thread(conn.recv) == "ready"
        # Every worker primes some of the changing feeds: all are warm when measured.
        prime = await _cycle(f"prime ({len(conns)} workers)", conns, clock.now(), postmaster)
        one: list[Cycle] = []
        many: list[Cycle] = []
        ran = [prime]
        # Alternately one worker and all: the load of a shared machine drifts during a run.
        for cycle in range(1, 2 * args.cycles + 1):
            group, active = (one, conns[:1]) if cycle % 2 else (many, conns)
            await control(port, cycle=cycle, all304=0)
            await asyncio.sleep(KEEPALIVE_GAP)
            clock.current += timedelta(days=1)
            name = f"cycle {cycle} ({len(active)} worker{'s' if len(active) > 1 else ''})"
            group.append(await _cycle(name, active, clock.now(), postmaster))
            ran.append(group[-1])
            print(f"  server answers in cycle {cycle}: {await server_stats(port)}")
        for conn in conns:
            conn.send(None)
        for proc in procs:
            proc.join(timeout=60)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
    print(
        f"\n{args.feeds} feeds on {hosts} hosts; mix {mix}; PostgreSQL; pipeline concurrency "
        f"{args.concurrency} per worker, {args.per_host} per host\n"
    )
    for c in ran:
        print(c.line())
    print()
    for line in _summary(one, many, args.workers):
        print(line)
    return 0
