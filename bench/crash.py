"""Crash safety of the outbox: deliver 1,000 briefs while the delivery process is SIGKILLed.

The parent stores 1,000 briefs in a fresh SQLite database (50 feeds, one chat each, 20 briefs
per feed) so that the outbox holds 1,000 (brief, chat) rows. It then starts a delivery worker
(this script with ``--worker``: the real ``Deliverer`` on ``SqlStorage``) whose notifier
appends ``<brief id> <chat id>`` to a file and fsyncs before returning -- a recording fake
chat. At random moments while briefs are flowing the parent kills the worker with SIGKILL and
starts a new one, ``--kills`` times, then lets a last worker finish. Finally it compares the
file with the outbox: briefs delivered, lost (never written) and duplicated (written twice).
Each send takes ``--latency-ms`` (default 100, like the Bot API) before it is written, so the
deliverer's in-flight window fills up to its ceiling (``--in-flight``, default: the setting's
default). Target: 0 lost, duplicates <= kills x in-flight (only sends in flight at the moment
of a kill repeat).

Baseline in the same run: the same workload delivered by one worker that is never killed
(its wall time, against the wall time with kills and restarts).

Run: ``PYTHONPATH=. python bench/crash.py [--kills 8] [--seed 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.core.delivery import Deliverer
from bot.core.models import Brief, ChatRef, Feed, Platform, Story
from bot.core.ports import Pace, Summarised
from bot.storage import open_storage
from tests.fakes import count_pending

FEEDS, PER_FEED = 50, 20
LEASE = 1.0


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileNotifier:
    """A chat that is an append-only file: one line per brief, fsynced before returning."""

    platform = Platform.TELEGRAM
    pace = Pace(per_chat_interval=0.005, per_second=5000.0)

    def __init__(self, path: Path, latency: float) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._latency = latency

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        await asyncio.sleep(self._latency)  # the request on its way; a kill here repeats it
        os.write(self._fd, f"{brief.id} {chat.chat_id}\n".encode())
        os.fsync(self._fd)

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        for brief in briefs:
            await self.send_brief(chat, brief)

    async def send_text(self, chat: ChatRef, text: str) -> None:
        return None


def db_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'outbox.db'}"


async def setup(folder: Path) -> set[tuple[int, str]]:
    storage = await open_storage(db_url(folder))
    now = datetime.now(UTC)
    await storage.sync_catalogue(
        [Feed(f"f{i}", f"https://feed{i}.example/rss", f"Feed {i}") for i in range(FEEDS)]
    )
    expected = set()
    for i in range(FEEDS):
        chat = ChatRef(Platform.TELEGRAM, f"chat{i}")
        await storage.subscribe(chat, [f"f{i}"], now)
        for n in range(PER_FEED):
            link = f"https://feed{i}.example/{n}"
            story = Story(f"f{i}", link, link, link, f"Story {n} of feed {i}", now)
            brief = await storage.record_story(
                story, Summarised(story.title, "A summary."), now, deliver=True
            )
            expected.add((brief.id, chat.chat_id))
    await storage.close()
    return expected


async def worker(folder: Path, in_flight: int, latency: float) -> None:
    storage = await open_storage(db_url(folder))
    notifier = FileNotifier(folder / "delivered.txt", latency)
    deliverer = Deliverer(
        storage,
        {notifier.platform: notifier},
        WallClock(),
        lease_seconds=LEASE,
        batch=100,
        coalesce_threshold=0,
        in_flight=in_flight,
    )
    while await count_pending(storage):
        if not await deliverer.drain():
            await asyncio.sleep(0.05)  # rows of a killed worker: wait for their lease
    await storage.close()


def start_worker(folder: Path, in_flight: int, latency: float) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [
        sys.executable,
        __file__,
        "--worker",
        str(folder),
        "--in-flight",
        str(in_flight),
        "--latency-ms",
        str(latency * 1000),
    ]
    return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)


def lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def run(
    folder: Path, kills: int, in_flight: int, latency: float, rng: random.Random
) -> tuple[float, int]:
    """Deliver everything, killing the worker ``kills`` times; returns (seconds, kills done)."""
    out = folder / "delivered.txt"
    start, done = time.perf_counter(), 0
    while done < kills:
        before = lines(out)
        proc = start_worker(folder, in_flight, latency)
        while lines(out) == before and proc.poll() is None:
            time.sleep(0.01)  # kill only once briefs are flowing
        if proc.poll() is not None:
            break  # it finished before we could kill it
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done += 1
    final = start_worker(folder, in_flight, latency)
    if final.wait(timeout=600) != 0:
        raise SystemExit("the last worker failed")
    return time.perf_counter() - start, done


def report(folder: Path, expected: set[tuple[int, str]]) -> tuple[int, int, int]:
    got = Counter(
        (int(b), c)
        for b, c in (ln.split() for ln in (folder / "delivered.txt").read_text().splitlines())
    )
    delivered = len(set(got) & expected)
    lost = len(expected - set(got))
    duplicated = sum(got.values()) - len(got)
    return delivered, lost, duplicated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=Settings.model_fields["delivery_in_flight"].default,
        help="ceiling of the in-flight window (default: NEWSBRIEF_DELIVERY_IN_FLIGHT's)",
    )
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker, args.in_flight, args.latency_ms / 1000))
        return 0
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as base:
        calm, stormy = Path(base, "calm"), Path(base, "stormy")
        calm.mkdir()
        stormy.mkdir()
        expected_calm = asyncio.run(setup(calm))
        expected = asyncio.run(setup(stormy))
        latency = args.latency_ms / 1000
        t_calm, _ = run(calm, 0, args.in_flight, latency, rng)
        t_kill, kills = run(stormy, args.kills, args.in_flight, latency, rng)
        d0, l0, u0 = report(calm, expected_calm)
        delivered, lost, duplicated = report(stormy, expected)
    print(
        f"briefs queued: {len(expected)} ({FEEDS} chats x {PER_FEED}), lease {LEASE:g} s, "
        f"in-flight ceiling {args.in_flight}, send latency {args.latency_ms:g} ms"
    )
    print(f"no kills (baseline): delivered {d0}, lost {l0}, duplicated {u0}; {t_calm:.1f} s")
    print(
        f"{kills} x SIGKILL + restart: delivered {delivered}, lost {lost}, duplicated "
        f"{duplicated}; {t_kill:.1f} s ({t_kill / t_calm:.1f}x the baseline's time)"
    )
    ok = lost == 0 and duplicated <= kills * args.in_flight
    print(
        f"target (0 lost, duplicates <= kills x in_flight = {kills * args.in_flight}):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
