"""Fan-out benchmark: briefs to many Discord channels through the real delivery path.

The path is the production one: SQLite outbox (``SqlStorage``) -> core ``Deliverer`` (default
settings: in-flight ceiling, lease, batch) -> ``DiscordNotifier`` (started by the real
``DiscordAdapter``: gateway, ready, command sync) -> discord.py (its own buckets and 429
handling) -> HTTP -> the loopback fake Discord of ``tests/discord/fake_discord.py``, which
answers every REST call after ``--latency-ms`` (half before the request is counted, half after)
and enforces Discord's documented limits: 50 requests per second per bot (a 429 with
``global: true`` blocks every request until its ``retry_after``) and a per-channel bucket of
5 message posts per 5 seconds with ``X-RateLimit-*`` headers.

Every channel is subscribed to one feed that publishes ``--briefs`` stories at once. Coalescing
is switched off (``coalesce_threshold=0``) so each brief is its own message, as when they
arrive over a few minutes: 50 channels x 20 briefs = 1,000 posts. The ideal is what the limits
allow: the larger of posts / 50 s and the per-channel bucket time ((briefs / 5 - 1) x 5 s).

Prints the wall time against that ideal as a ratio, the 429s served (global and per-route),
what the pacer saw, and how many briefs were lost or arrived twice.

    PYTHONPATH=$PWD python bench/discord_fanout.py --latency-ms 100   # ~25 s
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.discord_bot import DiscordAdapter, DiscordSettings
from bot.config import Settings
from bot.core.commands import Commands
from bot.core.delivery import Deliverer
from bot.core.models import ChatRef, Feed, Platform, Story
from bot.core.ports import Summarised
from bot.storage import SqlStorage, open_storage
from tests.fakes import FakeFeedSource, count_pending

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "discord"))  # the fake's modules, imported by name

from discord_payloads import TOKEN  # noqa: E402
from fake_discord import FakeDiscord, Limits  # noqa: E402

FEED = Feed("world", "https://feeds.example/world.xml", "World News", topics=("world",))
FIRST_CHANNEL = 800_000
MESSAGES = r"/channels/\d+/messages"


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


async def prepare(storage: SqlStorage, channels: int, briefs: int) -> None:
    """``channels`` channels subscribed to one feed, and ``briefs`` new briefs queued."""
    await storage.sync_catalogue([FEED])
    now = datetime.now(UTC)
    for i in range(channels):
        chat = ChatRef(Platform.DISCORD, str(FIRST_CHANNEL + i))
        await storage.subscribe(chat, [FEED.id], now)
    for n in range(briefs):
        link = f"https://news.example/{n}"
        story = Story(
            FEED.id,
            link,
            f"g{n}",
            link,
            f"Story {n}: troops push further into the Kursk region",
            now,
            summary=f"Story {n}. Up to 1,000 troops crossed the border on Tuesday.",
        )
        await storage.record_story(story, Summarised(story.title, story.summary), now, deliver=True)


def received(fake: FakeDiscord) -> Counter[tuple[int, str]]:
    """How often each (channel, headline) arrived."""
    return Counter(
        (m["channel_id"], (m.get("embeds") or [{}])[0].get("title", ""))
        for m in fake.channel_messages
    )


async def run(channels: int, briefs: int, latency_ms: float) -> int:
    limits = Limits()
    fake = FakeDiscord(latency=latency_ms / 1000, limits=limits)
    await fake.start()
    tmp = tempfile.TemporaryDirectory()
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp.name}/fanout.db")
    try:
        t_setup = time.perf_counter()
        await prepare(storage, channels, briefs)
        setup = time.perf_counter() - t_setup
        clock = SystemClock()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            discord_token=TOKEN,
            discord_api_url=fake.api_url,
            discord_gateway_url=fake.gateway_url,
        )
        adapter = DiscordAdapter(
            settings.part(DiscordSettings),
            Commands(storage, FakeFeedSource(), clock),
            guild_ready_timeout=0,
        )
        await adapter.start()
        deliverer = Deliverer(
            storage,
            {Platform.DISCORD: adapter.notifier},
            clock,
            batch=settings.delivery_batch,
            lease_seconds=settings.delivery_lease_seconds,
            in_flight=settings.delivery_in_flight,
            coalesce_threshold=0,
        )
        pacer = adapter.notifier.pacer
        before = sum(fake.served_429.values())
        t0 = time.perf_counter()
        task = asyncio.create_task(deliverer.run(idle_seconds=0.1))
        while await count_pending(storage):  # noqa: ASYNC110 (the outbox is the truth)
            await asyncio.sleep(0.2)
        wall = time.perf_counter() - t0
        deliverer.stop()
        await asyncio.wait_for(task, 30)
        await adapter.stop()
    finally:
        await storage.close()
        await fake.stop()
        tmp.cleanup()
    posts = channels * briefs
    per_channel = (math.ceil(briefs / limits.route_limit) - 1) * limits.route_window
    ideal = max(posts / limits.global_per_second, per_channel)
    got = received(fake)
    lost = posts - len(got)
    duplicates = sum(n - 1 for n in got.values())
    print(
        f"channels: {channels} x briefs: {briefs} = {posts} posts  (setup {setup:.1f} s, not timed)"
    )
    print(
        f"fake Discord: {latency_ms:g} ms latency, {limits.global_per_second}/s global, "
        f"{limits.route_limit} per {limits.route_window:g} s per channel"
    )
    print(f"wall time: {wall:.1f} s   ideal: {ideal:.1f} s   ratio: {wall / ideal:.3f}")
    print(
        f"429s served: {sum(fake.served_429.values()) - before} (global "
        f"{fake.served_429['global']}, per-route {fake.served_429['route']})   "
        f"POST /channels/*/messages: {fake.count('POST', MESSAGES)}"
    )
    print(
        f"in flight: peak {pacer.window.peak} (ceiling {settings.delivery_in_flight}), "
        f"latency estimate {1000 * (pacer.latency or 0):.0f} ms, platform-wide limits "
        f"{pacer.global_limits}, rate at the end {pacer.gate.current_rate():.1f}/s"
    )
    posted = [r.at for r in fake.requests if r.method == "POST" and re.fullmatch(MESSAGES, r.path)]
    gaps = [b - a for a, b in itertools.pairwise(posted) if b - a > 0.2]
    print(
        f"at the fake: first to last post {posted[-1] - posted[0]:.1f} s, "
        f"{len(gaps)} pauses over 0.2 s totalling {sum(gaps):.1f} s"
    )
    print(f"delivered: {len(got)}   lost: {lost}   duplicates: {duplicates}")
    return 0 if lost == 0 and duplicates == 0 else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--briefs", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    raise SystemExit(asyncio.run(run(args.channels, args.briefs, args.latency_ms)))


if __name__ == "__main__":
    main()
