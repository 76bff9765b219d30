"""Flood: one feed suddenly serving 100,000 new entries beside 100 normal feeds, through
``newsbrief run`` (issue 13).

The bot is the real thing, started as an operator starts it (``python -m bot run``, settings
from the environment only, SQLite in a temporary folder, the default summariser and
near-duplicate model): it polls a loopback feed server and delivers through the real Telegram
adapter to the fake Bot API (``tests/telegram/fake_bot_api.py``), both run by this script.

* 100 normal operator feeds, ten to a host name (``127.0.0.2`` ... ``127.0.0.11``, all
  loopback), each with one subscribed private chat. Their entries carry long descriptions (no
  article fetch).
* One chat-added feed (owned by chat 999, as after its ``/subscribe``) on its own host
  (``127.0.0.1``). Once flooding, it answers every poll with ``--entries`` (100,000) entries
  that are all new (7.9 MB), short teasers whose links lead to article pages on its host.

Phases, in one run of one bot process:

1. prime: every feed is polled once (stored, not pushed);
2. baseline: the flood feed stays calm; ``--stories`` (10) normal feeds, spread over the
   hosts, get one new story each, their appearance spread evenly over one poll interval; the
   other normal feeds answer 304, as most feeds do at most polls;
3. flood: from the flood feed's next poll on, every poll of it floods; the same normal feeds
   get one more new story each, spread the same way from that first flood poll on.

Printed per phase: how many of the normal stories reached their chat, and the time from a
story appearing on its feed to the fake Bot API accepting the message (median, 90th
percentile, worst), against the target of one poll interval + 10 s, split into the wait for
the feed's next poll and the time from that poll to the delivery; the bot's peak RSS in the
phase (``VmHWM``, reset between phases through ``/proc/<pid>/clear_refs``), against 400 MB;
the ratios flood / baseline; what the flood cost (its polls, the briefs its chat got, the
scheduler ticks skipped).

Run: ``PYTHONPATH=. python bench/flood.py [--interval 60] [--entries 100000] [--feeds 100]``
(about 6 minutes with the defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from aiohttp import web

from bot.core.models import ChatRef, Feed, Platform
from bot.core.text import plain_text
from bot.feeds.parse import parse_bytes
from bot.storage import open_storage
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN

ROOT = Path(__file__).resolve().parents[1]
FLOOD_CHAT = 999
PER_HOST = 10
CORPUS = ROOT.parent / "shared" / "corpora" / "news-feeds"
MIN_WORDS = 160
"""Words per normal story: more than ``NEWSBRIEF_ARTICLE_MIN_WORDS`` (no article fetch)."""


def normal_host(i: int) -> str:
    return f"127.0.0.{2 + i // PER_HOST}"


def corpus_stories() -> list[tuple[str, str]]:
    """(headline, text of at least ``MIN_WORDS`` words) from the real feed captures, each
    made of consecutive entries of one capture (read at run time, not copied)."""
    stories: list[tuple[str, str]] = []
    when = datetime(2026, 1, 1, tzinfo=UTC)
    for path in sorted(CORPUS.glob("*.xml")):
        parsed = parse_bytes(path.stem, path.read_bytes(), {}, f"https://x/{path.name}", when)
        title, words = "", []
        for entry in parsed.stories:
            title = title or entry.title
            words += max(entry.summary, plain_text(entry.content_html), key=len).split()
            if len(words) >= MIN_WORDS:
                stories.append((title, " ".join(words)))
                title, words = "", []
    return stories


def item(title: str, link: str, guid: str, summary: str) -> str:
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{guid}</guid>"
        f"<description>{escape(summary)}</description></item>"
    )


def rss(title: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{''.join(items)}"
        "</channel></rss>"
    ).encode()


@dataclass
class Farm:
    """The loopback feed server: normal feeds, the flood feed, article pages."""

    feeds: int
    entries: int
    texts: list[tuple[str, str]]
    port: int = 0
    stories: dict[int, list[int]] = field(default_factory=dict)
    """Normal feed -> the numbers of its published stories (0 is the old one)."""
    appeared: dict[tuple[int, int], float] = field(default_factory=dict)
    served: dict[tuple[int, int], float] = field(default_factory=dict)
    """When a poll first got the story (the feed answered 200 with it)."""
    flooding: bool = False
    flood_polls: int = 0
    flood_bytes: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    flooded: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, i: int, n: int) -> None:
        self.stories.setdefault(i, [0]).append(n)
        self.appeared[(i, n)] = time.monotonic()

    def normal_body(self, i: int) -> tuple[bytes, str]:
        numbers = self.stories.setdefault(i, [0])
        items = []
        for n in reversed(numbers):
            title, text = (
                self.texts[((n - 1) * self.feeds + i) % len(self.texts)]
                if n
                else (f"Archive of feed {i}", f"What feed {i} carried before.")
            )
            link = f"http://{normal_host(i)}:{self.port}/a/{i}/{n}"
            items.append(item(title, link, f"normal-{i}-{n}", text))
        return rss(f"Normal {i}", items), f'"{i}-{len(numbers)}"'

    async def normal(self, request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        self.hits["normal"] += 1
        body, etag = self.normal_body(i)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        for n in self.stories[i]:
            self.served.setdefault((i, n), time.monotonic())
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )

    async def flood(self, request: web.Request) -> web.Response:
        self.hits["flood"] += 1
        if not self.flooding:
            body = rss("Flood", [item("Calm", f"http://127.0.0.1:{self.port}/a/c", "calm", "x")])
            return web.Response(body=body, headers={"Content-Type": "application/rss+xml"})
        self.flood_polls += 1
        self.flooded.set()
        body = await asyncio.to_thread(self.flood_body, self.flood_polls)
        self.flood_bytes = len(body)
        return web.Response(body=body, headers={"Content-Type": "application/rss+xml"})

    def flood_body(self, generation: int) -> bytes:
        """``entries`` new entries, about 80 bytes each (no guid, no teaser: the link is the
        identity, and a missing teaser asks for the article)."""
        base = f"http://127.0.0.1:{self.port}/a/{generation}"
        items = [
            f"<item><title>F{generation} {k}</title><link>{base}/{k}</link></item>"
            for k in range(self.entries)
        ]
        return rss("Flood", items)

    async def article(self, request: web.Request) -> web.Response:
        self.hits["article"] += 1
        text = "<p>" + "The article says more than the teaser did. " * 40 + "</p>"
        return web.Response(text=f"<html><body><article>{text}</article></body></html>",
                            content_type="text/html")  # fmt: skip

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/feed/{i}", self.normal)
        app.router.add_get("/flood", self.flood)
        app.router.add_get("/a/{tail:.*}", self.article)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, "127.0.0.1", 0)
        await first.start()
        self.port = runner.addresses[0][1]
        for k in range(2, 2 + (self.feeds + PER_HOST - 1) // PER_HOST):
            await web.TCPSite(runner, f"127.0.0.{k}", self.port).start()
        return runner


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class Phase:
    name: str
    latencies: list[float]
    """Story on its feed -> message accepted by the fake Bot API, seconds."""
    waits: list[float]
    """Story on its feed -> the poll that got it (the poll schedule's share)."""
    expected: int
    peak_mb: float

    def worst(self) -> float:
        return max(self.latencies) if self.latencies else float("inf")

    def line(self, target: float) -> str:
        lat = sorted(self.latencies) or [float("inf")]
        p90 = lat[int(0.9 * (len(lat) - 1))]
        return (
            f"{self.name:<9} delivered {len(self.latencies):>3}/{self.expected}  latency median "
            f"{statistics.median(lat):5.1f} s  p90 {p90:5.1f} s  worst {self.worst():5.1f} s "
            f"(target <= {target:.0f} s: {'met' if self.worst() <= target else 'MISSED'})  "
            f"peak RSS {self.peak_mb:5.0f} MB (target < 400 MB: "
            f"{'met' if self.peak_mb < 400 else 'MISSED'})\n"
            f"{'':<9} of which waiting for the poll: median "
            f"{statistics.median(self.waits or [0]):5.1f} s  worst {max(self.waits or [0]):5.1f} s;"
            " poll -> delivered: median "
            f"{statistics.median(self.after_poll() or [0]):5.1f} s  worst "
            f"{max(self.after_poll() or [0]):5.1f} s"
        )

    def after_poll(self) -> list[float]:
        return [total - wait for total, wait in zip(self.latencies, self.waits, strict=True)]


async def seed(url: str, farm: Farm) -> list[Feed]:
    """The catalogue (normal feeds) and the database: one chat per normal feed, and the flood
    feed added by chat 999 (a chat-added feed, as after its /subscribe)."""
    normals = [
        Feed(f"n{i}", f"http://{normal_host(i)}:{farm.port}/feed/{i}", f"Normal {i}")
        for i in range(farm.feeds)
    ]
    storage = await open_storage(url)
    now = datetime.now(UTC)
    await storage.sync_catalogue(normals)
    for i, feed in enumerate(normals):
        await storage.subscribe(ChatRef(Platform.TELEGRAM, str(1000 + i)), [feed.id], now)
    owner = ChatRef(Platform.TELEGRAM, str(FLOOD_CHAT))
    flood = Feed("flood", f"http://127.0.0.1:{farm.port}/flood", "Flood", trusted=False)
    flood = await storage.add_feed(flood, owner=owner, now=now)
    await storage.subscribe(owner, [flood.id], now)
    await storage.close()
    return normals


async def measure(
    name: str,
    fake: FakeBotApi,
    farm: Farm,
    n: int,
    count: int,
    interval: float,
    proc: asyncio.subprocess.Process,
) -> Phase:
    """Publish story ``n`` on ``count`` normal feeds (every ``feeds // count``-th, so on
    every host), spread evenly over one interval; wait until each reached its chat."""
    reset_peak(proc.pid)
    chosen = [k * (farm.feeds // count) for k in range(count)]
    before = {i: len(fake.sent_to(1000 + i)) for i in chosen}
    got: dict[int, float] = {}
    start = time.monotonic()
    published = 0
    deadline = start + 4 * interval + 60
    while len(got) < count and time.monotonic() < deadline:
        if proc.returncode is not None:
            raise SystemExit(f"the bot exited with {proc.returncode}")
        due = int((time.monotonic() - start) / interval * count) + 1
        while published < min(due, count):
            farm.publish(chosen[published], n)
            published += 1
        now = time.monotonic()
        for i in chosen[:published]:
            if i not in got and len(fake.sent_to(1000 + i)) > before[i]:
                got[i] = now - farm.appeared[(i, n)]
        await asyncio.sleep(0.2)
    waits = [farm.served[(i, n)] - farm.appeared[(i, n)] for i in got]
    return Phase(name, list(got.values()), waits, count, peak_rss_mb(proc.pid))


async def run(args: argparse.Namespace) -> int:
    fake = FakeBotApi()
    api_url = await fake.start()
    if not CORPUS.is_dir():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 1
    texts = corpus_stories()
    if len(texts) < 2 * args.feeds:
        print(f"only {len(texts)} corpus stories; fewer --feeds, please", file=sys.stderr)
        return 1
    farm = Farm(args.feeds, args.entries, texts)
    runner = await farm.start()
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name)
    db = f"sqlite+aiosqlite:///{folder / 'flood.db'}"
    normals = await seed(db, farm)
    catalogue = folder / "feeds.yaml"
    catalogue.write_text(
        "feeds:\n"
        + "".join(f"  - {{id: {f.id}, title: '{f.title}', url: '{f.url}'}}\n" for f in normals)
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost,127.0.0.0/8",
        "NEWSBRIEF_FEEDS_FILE": str(catalogue),
        "NEWSBRIEF_DATABASE_URL": db,
        "NEWSBRIEF_POLL_INTERVAL_SECONDS": str(args.interval),
        "NEWSBRIEF_MAX_POLL_INTERVAL_SECONDS": str(max(args.interval, 60)),
        "NEWSBRIEF_ALLOW_PRIVATE_URLS": "true",  # the loopback farm stands in for the internet
        "NEWSBRIEF_TELEGRAM_TOKEN": TOKEN,
        "NEWSBRIEF_TELEGRAM_API_URL": api_url,
        "NEWSBRIEF_DISCORD_TOKEN": "",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = folder / "bot.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=folder, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
    try:
        started = time.monotonic()
        while farm.hits["normal"] < args.feeds or farm.hits["flood"] < 1:
            if proc.returncode is not None or time.monotonic() - started > 300:
                print(log_path.read_text()[-3000:], file=sys.stderr)
                return 1
            await asyncio.sleep(0.5)
        print(f"primed: {args.feeds} normal feeds and the flood feed polled once after "
              f"{time.monotonic() - started:.0f} s; waiting one interval", flush=True)  # fmt: skip
        await asyncio.sleep(args.interval)
        baseline = await measure("baseline", fake, farm, 1, args.stories, args.interval, proc)
        print(baseline.line(args.interval + 10), flush=True)
        farm.flooding = True
        flood_sent_before = len(fake.sent_to(FLOOD_CHAT))
        await farm.flooded.wait()  # its next poll: the first flood
        flood = await measure("flood", fake, farm, 2, args.stories, args.interval, proc)
        print(flood.line(args.interval + 10), flush=True)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await runner.cleanup()
        await fake.stop()
    log_text = log_path.read_text(errors="replace")
    skipped_ticks = log_text.count("maximum number of running instances reached")
    tracebacks = log_text.count("Traceback (most recent call last)")
    to_flood_chat = len(fake.sent_to(FLOOD_CHAT)) - flood_sent_before
    target = args.interval + 10
    print(
        f"\n{args.feeds} normal feeds on {(args.feeds + PER_HOST - 1) // PER_HOST} hosts + 1 flood "
        f"feed of {args.entries:,} new entries a poll ({farm.flood_bytes / 1e6:.1f} MB); poll "
        f"interval {args.interval} s; bot exit code {proc.returncode}"
    )
    print(
        f"flood: {farm.flood_polls} flood polls served, {farm.hits['article']} article pages "
        f"requested in all, {to_flood_chat} messages to the flood feed's chat during the flood "
        f"phase; scheduler ticks skipped: {skipped_ticks}; tracebacks in the log: {tracebacks}"
    )
    print(
        f"normal story -> brief delivered, worst: baseline {baseline.worst():.1f} s, flood "
        f"{flood.worst():.1f} s (target one poll interval + 10 s = {target} s: "
        f"{'met' if flood.worst() <= target else 'MISSED'}); peak RSS during the flood "
        f"{flood.peak_mb:.0f} MB (target < 400 MB: {'met' if flood.peak_mb < 400 else 'MISSED'})"
    )
    med_b = statistics.median(baseline.latencies or [float("inf")])
    med_f = statistics.median(flood.latencies or [float("inf")])
    print(
        f"ratio flood / baseline (same bot, same run): worst latency "
        f"{flood.worst() / baseline.worst():.2f}x, median latency {med_f / med_b:.2f}x, peak RSS "
        f"{flood.peak_mb / baseline.peak_mb:.2f}x"
    )
    tmp.cleanup()
    ok = len(flood.latencies) == args.stories and flood.worst() <= target and flood.peak_mb < 400
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--interval", type=int, default=60, help="poll interval, seconds")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument(
        "--stories", type=int, default=10, help="normal feeds that get a new story per phase"
    )
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
