"""Ingestion throughput: thousands of feeds through the real pipeline, from a loopback farm.

Setup: ``bench/ingest_server.py`` runs in a separate process (so its CPU is not counted) and
serves N feeds under ~N/10 host names (``h<k>.bench.test``, resolved to 127.0.0.1 by an
injected resolver). The client is the real thing: ``Pipeline.poll_due`` with
``HttpFeedSource`` (shared httpx client, per-host gate, feedparser in a worker thread) and
``SqlStorage`` on SQLite in a temporary folder; the summariser is a trivial fake and article
fetching is off (the corpus' article links point to the internet).

Phases, all in this one run:

1. seed: non-changing feeds get their ETag stored (as after an earlier poll); the changing
   feeds are primed with a first real poll (200, parsed, stored, not pushed);
2. measured cycles: every feed is due; most answer 304, the changing ones 200 with a real
   corpus feed plus 2 new items, some fail (500), some are slow;
3. baseline A: the same feeds, all answering 304, through the same pipeline;
4. baseline B: the same URLs fetched with raw ``httpx`` GETs, no pipeline, no storage.

Printed: feeds polled per second, CPU seconds per 1,000 polls (process time: all threads of
this process), peak RSS, the 304 share, the event loop's worst lag (a probe task sleeping
10 ms and measuring how late it wakes), ratios against the baselines, and the projected
share of one core for 10,000 feeds every 10 minutes.

Run: ``PYTHONPATH=$PWD python bench/ingest.py [--feeds 2000] [--cycles 3] [--profile FILE]``
(``--profile`` slows the cycles down; its figures are for finding hot spots, not for reporting).
``--workers 2 --database postgresql``: 1 worker and then 2 worker processes on one throwaway
PostgreSQL in the same run, sharing the feeds by their leases (``bench/ingest_cluster.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import multiprocessing
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.ingest_server import Mix, serve
from bot.core.models import Feed, Story
from bot.core.pipeline import Pipeline, PollReport
from bot.core.ports import Storage, Summarised
from bot.feeds.fetch import Fetcher, make_client
from bot.feeds.hosts import HostGate
from bot.feeds.source import HttpFeedSource
from bot.feeds.transport import StaticResolver
from bot.storage import open_storage

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "news-feeds"


class VirtualClock:
    """The pipeline's notion of now: moved a day per cycle so that every feed is due."""

    def __init__(self) -> None:
        self.current = datetime(2026, 6, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


class MeteredSource(HttpFeedSource):
    """The real source, counting the CPU time its worker threads spend (feedparser)."""

    thread_cpu = 0.0

    async def _in_thread(self, func, *args):  # type: ignore[no-untyped-def]
        def timed():  # type: ignore[no-untyped-def]
            start = time.thread_time()
            try:
                return func(*args)
            finally:
                MeteredSource.thread_cpu += time.thread_time() - start

        return await super()._in_thread(timed)


class EchoSummarizer:
    async def summarize(self, stories: Sequence[Story]) -> list[Summarised]:
        return [Summarised(s.title, (s.summary or s.title)[:300]) for s in stories]


class StepMeter:
    """The longest CPU time (of the loop's own thread) that one event-loop step took.

    Wall-clock lag also counts the time the OS gave to other processes (this machine is
    shared); the CPU time of a single callback is what our code blocked the loop with.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self._original = asyncio.events.Handle._run

    def install(self) -> None:
        original, meter = self._original, self

        def timed(handle: asyncio.events.Handle) -> None:
            start = time.thread_time()
            original(handle)
            meter.worst = max(meter.worst, time.thread_time() - start)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]

    def take(self) -> float:
        worst, self.worst = self.worst, 0.0
        return worst


@dataclass
class LagProbe:
    """Wakes every ``period`` seconds and records how late the event loop woke it."""

    period: float = 0.01
    lags: list[float] = field(default_factory=list)
    steps: StepMeter = field(default_factory=StepMeter)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.period)
            self.lags.append(loop.time() - start - self.period)

    def take(self) -> tuple[float, float, float]:
        """(worst, p99) lag and the longest loop step (CPU), in seconds, since the last call."""
        lags, self.lags = self.lags or [0.0], []
        ordered = sorted(lags)
        return ordered[-1], ordered[int(0.99 * (len(ordered) - 1))], self.steps.take()


@dataclass
class Phase:
    name: str
    polls: int
    wall: float
    cpu: float
    worst_lag: float
    p99_lag: float
    worst_step: float
    not_modified: int = 0
    failed: int = 0
    new_briefs: int = 0

    @property
    def cpu_per_1000(self) -> float:
        return 1000 * self.cpu / max(self.polls, 1)

    def line(self) -> str:
        share = self.not_modified / max(self.polls, 1)
        return (
            f"{self.name:<22} {self.polls:>6} polls  {self.polls / self.wall:>7.0f} polls/s  "
            f"{self.cpu_per_1000:>6.2f} CPU-s/1000  304 {share:>5.1%}  failed {self.failed:>4}  "
            f"new briefs {self.new_briefs:>5}  loop lag worst {1000 * self.worst_lag:>6.1f} ms "
            f"p99 {1000 * self.p99_lag:>5.1f} ms  longest step {1000 * self.worst_step:>5.1f} ms"
        )


async def measured(name: str, probe: LagProbe, coro, polls: int | None = None) -> Phase:  # type: ignore[no-untyped-def]
    probe.take()
    wall, cpu = time.perf_counter(), time.process_time()
    report = await coro
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    worst, p99, step = probe.take()
    if isinstance(report, PollReport):
        return Phase(
            name, report.polled, wall, cpu, worst, p99, step,
            report.not_modified, report.failed, report.new_briefs,
        )  # fmt: skip
    return Phase(name, polls or 0, wall, cpu, worst, p99, step, not_modified=int(report))


async def control(port: int, **query: object) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        await client.post(f"http://127.0.0.1:{port}/_control", params=query)


async def server_stats(port: int) -> dict[str, int]:
    async with httpx.AsyncClient(trust_env=False) as client:
        return dict(json.loads((await client.get(f"http://127.0.0.1:{port}/_stats")).text))


async def raw_gets(urls: list[tuple[str, str]], port: int, concurrency: int) -> int:
    """Baseline B: plain httpx GETs with If-None-Match; returns how many got 304."""
    limit = asyncio.Semaphore(concurrency)
    got = 0
    async with httpx.AsyncClient(trust_env=False, timeout=30) as client:

        async def one(path: str, etag: str) -> None:
            nonlocal got
            async with limit:
                response = await client.get(
                    f"http://127.0.0.1:{port}{path}", headers={"If-None-Match": etag}
                )
                got += response.status_code == 304

        await asyncio.gather(*(one(p, e) for p, e in urls))
    return got


async def seed(storage: Storage, count: int, port: int, mix: Mix, clock: VirtualClock) -> int:
    """Store ``count`` feeds of the farm on ``port`` as after an earlier poll (ETag known,
    primed) except the changing ones (to be primed); returns the number of host names."""
    hosts = max(1, count // 10)
    feeds = [
        Feed(f"f{i}", f"http://h{i % hosts}.bench.test:{port}/feed/{i}", f"Feed {i}")
        for i in range(count)
    ]
    await storage.sync_catalogue(feeds)
    later = clock.now() + timedelta(hours=1)
    for i, feed in enumerate(feeds):
        state = await storage.get_feed_state(feed.id)
        changing = mix.kind(i) == "changed"
        await storage.save_feed_state(
            replace(
                state,
                etag=None if changing else f'"{i}-0"',
                primed=not changing,
                next_poll_at=None if changing else later,
                interval_seconds=600,
            )
        )
    return hosts


def build_pipeline(
    storage: Storage,
    clock: VirtualClock,
    args: argparse.Namespace,
    source_class: type[MeteredSource] = MeteredSource,
) -> tuple[MeteredSource, Pipeline]:
    """The real source (loopback resolver, no articles) and pipeline, as ``App.start`` has."""
    client = make_client(resolver=StaticResolver({"*.bench.test": ["127.0.0.1"]}))
    fetcher = Fetcher(client, HostGate(clock, per_host=args.per_host), clock)
    source = source_class(fetcher, clock, fetch_articles=False)
    pipeline = Pipeline(
        storage,
        source,
        EchoSummarizer(),
        poll_interval=timedelta(minutes=10),
        max_interval=timedelta(hours=6),
        concurrency=args.concurrency,
    )
    return source, pipeline


async def run(args: argparse.Namespace, port: int) -> int:
    mix = Mix(args.changed, args.failing, args.slow)
    probe = LagProbe()
    probe.steps.install()
    probe_task = asyncio.create_task(probe.run())
    idle = await measured("idle (machine noise)", probe, asyncio.sleep(3, 0), 0)
    clock = VirtualClock()
    with tempfile.TemporaryDirectory() as tmp:
        storage = await open_storage(f"sqlite+aiosqlite:///{tmp}/bench.db")
        hosts = await seed(storage, args.feeds, port, mix, clock)
        source, pipeline = build_pipeline(storage, clock, args)
        if not args.no_freeze:
            gc.freeze()  # as App.start does once everything is built (see bot/app.py)
        phases = [await measured("prime changing feeds", probe, pipeline.poll_due(clock.now()))]
        parse_cpu = MeteredSource.thread_cpu
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()  # the event loop's thread only: parsing is metered separately
        for cycle in range(1, args.cycles + 1):
            await control(port, cycle=cycle, all304=0)
            clock.current += timedelta(days=1)
            phase = await measured(f"cycle {cycle}", probe, pipeline.poll_due(clock.now()))
            phases.append(phase)
            print(f"  server answers in cycle {cycle}: {await server_stats(port)}")
        parse_cpu = MeteredSource.thread_cpu - parse_cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        await control(port, cycle=args.cycles, all304=1)
        clock.current += timedelta(days=1)
        base_a = await measured("baseline A: all 304", probe, pipeline.poll_due(clock.now()))
        urls = [(f"/feed/{i}", f'"{i}-0"') for i in range(args.feeds)]
        base_b = await measured(
            "baseline B: raw httpx", probe, raw_gets(urls, port, args.concurrency), len(urls)
        )
        await source.aclose()
        await storage.close()
    probe_task.cancel()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n{args.feeds} feeds on {hosts} hosts; mix {mix}; pipeline concurrency "
          f"{args.concurrency}, {args.per_host} per host\n")  # fmt: skip
    for phase in [idle, *phases, base_a, base_b]:
        print(phase.line())
    cycles = phases[1:]
    polls = sum(p.polls for p in cycles)
    cpu = sum(p.cpu for p in cycles)
    wall = sum(p.wall for p in cycles)
    per_1000 = 1000 * cpu / polls
    share = sum(p.not_modified for p in cycles) / polls
    worst = max(p.worst_lag for p in [*phases, base_a])
    step = max(p.worst_step for p in [*phases, base_a])
    core = per_1000 * 10 / 600  # 10,000 feeds every 600 s
    print(
        f"\nmeasured cycles: {polls} polls, {polls / wall:.0f} polls/s, "
        f"{per_1000:.2f} CPU-s per 1,000 polls, 304 share {share:.1%}, "
        f"peak RSS {peak_rss_mb:.0f} MB, worst loop lag {1000 * worst:.1f} ms "
        f"(median of cycle p99s {1000 * statistics.median(p.p99_lag for p in cycles):.1f} ms; "
        f"idle machine noise {1000 * idle.worst_lag:.1f} ms), longest loop step "
        f"{1000 * step:.1f} ms CPU"
    )
    print(
        f"of which feed parsing in the worker thread: {1000 * parse_cpu / polls:.2f} CPU-s per "
        f"1,000 polls ({parse_cpu / cpu:.0%} of the cycles' CPU)"
    )
    print(
        f"ratio vs baseline A (all 304, same pipeline): CPU per poll "
        f"{per_1000 / base_a.cpu_per_1000:.2f}x; vs baseline B (raw httpx GETs): "
        f"{per_1000 / base_b.cpu_per_1000:.2f}x (pipeline 304s alone: "
        f"{base_a.cpu_per_1000 / base_b.cpu_per_1000:.2f}x)"
    )
    print(
        f"projection: 10,000 feeds every 10 min = {core:.1%} of one core "
        f"(target <= 25%, i.e. <= 15 CPU-s/1000: {'met' if core <= 0.25 else 'MISSED'}); "
        f"worst loop lag {1000 * worst:.0f} ms (target < 100 ms: "
        f"{'met' if worst < 0.1 else 'MISSED'}; longest step of our own code "
        f"{1000 * step:.0f} ms CPU)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--changed", type=float, default=0.10)
    parser.add_argument("--failing", type=float, default=0.04)
    parser.add_argument("--slow", type=float, default=0.03)
    parser.add_argument("--concurrency", type=int, default=16, help="as in app.py")
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (with --database postgresql)"
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="postgresql: a throwaway server (tests/postgres.py); see bench/ingest_cluster.py",
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="skip gc.freeze() (shows the GC pauses)"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the measured cycles (loop thread) into FILE"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # failing feeds are expected: no warning per feed
    if not CORPUS.is_dir():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 1
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    mix = Mix(args.changed, args.failing, args.slow)
    server = ctx.Process(target=serve, args=(str(CORPUS), mix, send), daemon=True)
    server.start()
    try:
        port = receive.recv()
        if args.database == "postgresql":
            from bench.ingest_cluster import run_cluster
            from tests.postgres import postgres_server

            with postgres_server() as url:
                return asyncio.run(run_cluster(args, port, url))
        if args.workers != 1:
            print("--workers needs --database postgresql", file=sys.stderr)
            return 2
        return asyncio.run(run(args, port))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    sys.exit(main())
