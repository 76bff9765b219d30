"""Fan-out benchmark: one brief to N Telegram chats through the real delivery path.

The path is the production one: SQLite outbox (``SqlStorage``) -> core ``Deliverer`` (with the
default settings: in-flight ceiling, lease, batch) -> ``TelegramNotifier`` -> python-telegram-bot
-> HTTP -> the fake Bot API, which runs in its own process, answers every call after
``--latency-ms`` (half before the request is counted, half after), and enforces Telegram's flood
limits: at most 30 messages in any one-second window overall and one a second per chat,
answering 429 with an integer ``retry_after`` (as Telegram does); going over the overall limit
blocks every chat until that ``retry_after`` has passed. Prints the wall time against the ideal
(N / 30 s) as a ratio, 429s as a share of the sends, the in-flight window reached, and how many
chats got the brief (exactly once) and how many lost it.

    PYTHONPATH=$PWD python bench/telegram_fanout.py --latency-ms 100   # 5,000 chats, ~3 min
    PYTHONPATH=$PWD python bench/telegram_fanout.py --latency-ms 0 --chats 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.telegram_bot import TelegramAdapter, TelegramSettings
from bot.config import Settings
from bot.core.commands import Commands
from bot.core.delivery import Deliverer
from bot.core.models import ChatRef, Feed, Platform, Story
from bot.core.ports import Summarised
from bot.storage import SqlStorage, open_storage
from tests.fakes import FakeFeedSource, count_pending
from tests.telegram.fake_chats import TOKEN

ROOT = Path(__file__).resolve().parents[1]
FEED = Feed("world", "https://feeds.example/world.xml", "World News", topics=("world",))


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stats(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}/_fake/stats", timeout=5) as resp:
        data: dict[str, float] = json.load(resp)
        return data


def start_fake(
    port: int, per_second: int, per_chat: float, latency_ms: float
) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "tests.telegram.fake_bot_api",
        f"--port={port}",
        f"--per-second={per_second}",
        f"--per-chat={per_chat}",
        f"--latency-ms={latency_ms}",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            stats(f"http://127.0.0.1:{port}")
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the fake Bot API did not start")


async def prepare(storage: SqlStorage, chats: int) -> None:
    """N private chats subscribed to one feed, and one new brief queued for all of them."""
    await storage.sync_catalogue([FEED])
    now = datetime.now(UTC)
    for i in range(chats):
        await storage.subscribe(ChatRef(Platform.TELEGRAM, str(10_000 + i)), [FEED.id], now)
    story = Story(
        FEED.id,
        "https://news.example/1",
        "g1",
        "https://news.example/1",
        "Ukrainian troops push into Russia's Kursk region",
        now,
        summary="Up to 1,000 Ukrainian troops crossed into Russia's Kursk region on Tuesday.",
    )
    text = Summarised(story.title, story.summary)
    await storage.record_story(story, text, now, deliver=True)


async def run(chats: int, per_second: int, per_chat: float, latency_ms: float) -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    fake = start_fake(port, per_second, per_chat, latency_ms)
    tmp = tempfile.TemporaryDirectory()
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp.name}/fanout.db")
    try:
        t_setup = time.perf_counter()
        await prepare(storage, chats)
        setup = time.perf_counter() - t_setup
        clock = SystemClock()
        settings = Settings(_env_file=None, telegram_token=TOKEN, telegram_api_url=url)  # type: ignore[call-arg]
        adapter = TelegramAdapter(
            settings.part(TelegramSettings), Commands(storage, FakeFeedSource(), clock), clock=clock
        )
        await adapter.start()
        deliverer = Deliverer(
            storage,
            {Platform.TELEGRAM: adapter.notifier},
            clock,
            batch=settings.delivery_batch,
            lease_seconds=settings.delivery_lease_seconds,
            in_flight=settings.delivery_in_flight,
        )
        pacer = adapter.notifier.pacer
        t0 = time.perf_counter()
        task = asyncio.create_task(deliverer.run(idle_seconds=0.1))
        while await count_pending(storage):  # noqa: ASYNC110 (the outbox is the truth)
            await asyncio.sleep(0.2)
        wall = time.perf_counter() - t0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await adapter.stop()
        got = stats(url)
    finally:
        await storage.close()
        fake.terminate()
        fake.wait(10)
        tmp.cleanup()
    ideal = chats / per_second
    lost = chats - got["chats"]
    refusals, calls = got["flood_refusals"], got["send_calls"]
    print(f"chats: {chats}  (setup: subscribe + queue in {setup:.1f} s, not timed)")
    print(
        f"fake Bot API: {latency_ms:g} ms latency, {per_second}/s overall (penalty blocks "
        f"every chat), 1 per {per_chat:g} s per chat"
    )
    print(f"wall time: {wall:.1f} s   ideal: {ideal:.1f} s   ratio: {wall / ideal:.3f}")
    print(
        f"429s received: {refusals}   sendMessage calls: {calls}   "
        f"429 share: {100 * refusals / max(1, calls):.2f}%"
    )
    print(
        f"in flight: peak {pacer.window.peak} (ceiling {settings.delivery_in_flight}), "
        f"latency estimate {1000 * (pacer.latency or 0):.0f} ms, platform-wide limits "
        f"{pacer.global_limits}, rate at the end {pacer.gate.current_rate():.1f}/s"
    )
    print(
        f"at the fake: first to last message {got['first_to_last']:.1f} s, "
        f"{got['gaps_over_200ms']} pauses over 0.2 s totalling {got['gap_seconds']:.1f} s"
    )
    print(f"delivered: {got['chats']}   lost: {lost}   duplicates: {got['duplicates']}")
    return 0 if lost == 0 and got["duplicates"] == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=5000)
    parser.add_argument("--per-second", type=int, default=30)
    parser.add_argument("--per-chat", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(asyncio.run(run(args.chats, args.per_second, args.per_chat, args.latency_ms)))


if __name__ == "__main__":
    main()
