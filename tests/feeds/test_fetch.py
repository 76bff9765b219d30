"""Fetching against a loopback server: conditional GET, redirects, throttling, failures,
timeouts and size limits, through ``HttpFeedSource`` and, where it matters, the pipeline."""

from __future__ import annotations

import asyncio
import gzip
from datetime import timedelta
from email.utils import format_datetime

import pytest

from bot.core.commands import Commands
from bot.core.errors import FeedUnavailableError, HostThrottledError
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind
from bot.feeds.body import BodyTooLarge, CappedDecoder
from bot.feeds.parse import ParsedFeed
from bot.feeds.source import HttpFeedSource
from bot.feeds.transport import StaticResolver
from bot.storage import SqlStorage
from tests.feeds.conftest import PUBLIC_STANDIN, FakeClock, build_source
from tests.feeds.helpers import Item, Notices, pipeline, rss
from tests.feeds.loopback import LoopbackServer, Reply, Request

CHAT = ChatRef(Platform.CONSOLE, "room")
DOC_FIRST = "https://news.test/1"
DOC = rss([Item("First", DOC_FIRST), Item("Second", "https://news.test/2")])


class CountingSource(HttpFeedSource):
    """Counts parses, to show that a 304 costs none."""

    parses = 0

    async def _parse(self, feed_id: str, response: object) -> ParsedFeed:
        CountingSource.parses += 1
        return await super()._parse(feed_id, response)  # type: ignore[arg-type]


async def test_200_then_304_sends_validators_verbatim(
    clock: FakeClock, server: LoopbackServer
) -> None:
    etag, modified = 'W/"abc-123"', "Sun, 01 Mar 2026 11:00:00 GMT"

    def feed(request: Request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, DOC, {"ETag": etag, "Last-Modified": modified})

    server.route("/rss", feed)
    plain = build_source(clock)
    source = CountingSource(plain.fetcher, clock)
    CountingSource.parses = 0
    f = Feed("t", server.url("/rss"), "T")
    try:
        first = await source.fetch(f, FeedState("t"))
        state = FeedState("t", etag=first.etag, last_modified=first.last_modified)
        second = await source.fetch(f, state)
    finally:
        await source.aclose()
    assert (first.etag, first.last_modified) == (etag, modified)
    assert [s.title for s in first.stories] == ["First", "Second"]
    assert second.not_modified and second.stories == ()
    assert CountingSource.parses == 1
    sent = server.hits("/rss")[1].headers
    assert sent["if-none-match"] == etag and sent["if-modified-since"] == modified


async def test_request_hygiene_user_agent_gzip_no_cookies(
    clock: FakeClock, server: LoopbackServer
) -> None:
    server.route(
        "/rss",
        lambda r: Reply(
            200,
            gzip.compress(DOC),
            {"Content-Encoding": "gzip", "Set-Cookie": "track=1; Path=/"},
        ),
    )
    source = build_source(clock)
    f = Feed("t", server.url("/rss"), "T")
    try:
        result = await source.fetch(f, FeedState("t"))
        await source.fetch(f, FeedState("t"))
    finally:
        await source.aclose()
    assert len(result.stories) == 2  # the gzip body was inflated
    first, second = server.hits("/rss")
    assert "newsbrief" in first.headers["user-agent"] and "https://" in first.headers["user-agent"]
    assert "gzip" in first.headers["accept-encoding"]
    assert "cookie" not in second.headers


async def test_permanent_redirect_moves_the_feed_and_the_old_url_still_unsubscribes(
    clock: FakeClock, public_server: LoopbackServer, storage: SqlStorage
) -> None:
    old, new = public_server.url("/old.xml"), public_server.url("/new.xml")
    public_server.route("/old.xml", lambda r: Reply(200, DOC))
    source = build_source(clock, allowed=PUBLIC_STANDIN)
    commands = Commands(storage, source, clock)
    try:
        reply = await commands.subscribe(CHAT, old)
        assert reply.kind is ReplyKind.OK, reply.text
        public_server.route("/old.xml", lambda r: Reply(301, headers={"Location": "/new.xml"}))
        public_server.route("/new.xml", lambda r: Reply(200, DOC))
        report = await pipeline(storage, source).poll_due(clock.now())
        assert report.failed == 0
        (feed,) = await storage.list_feeds()
        assert feed.url == new and not feed.trusted
        assert (await storage.find_feed_by_url(old)) == feed
        bye = await commands.unsubscribe(CHAT, old)
    finally:
        await source.aclose()
    assert bye.kind is ReplyKind.OK and feed.id in bye.text
    assert await storage.subscriptions(CHAT) == []


async def test_temporary_redirect_does_not_move(clock: FakeClock, server: LoopbackServer) -> None:
    server.route("/a", lambda r: Reply(302, headers={"Location": "/b"}))
    server.route("/b", lambda r: Reply(200, DOC))
    source = build_source(clock)
    try:
        result = await source.fetch(Feed("t", server.url("/a"), "T"), FeedState("t"))
    finally:
        await source.aclose()
    assert result.moved_to is None and len(result.stories) == 2


async def test_redirect_loop_stops_at_the_hop_limit(
    clock: FakeClock, server: LoopbackServer
) -> None:
    server.route("/loop", lambda r: Reply(301, headers={"Location": "/loop"}))
    source = build_source(clock)
    try:
        with pytest.raises(FeedUnavailableError, match="more than 5 redirects"):
            await source.fetch(Feed("t", server.url("/loop"), "T"), FeedState("t"))
    finally:
        await source.aclose()
    assert len(server.hits("/loop")) == 6


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_429_retry_after_blocks_the_whole_host(
    clock: FakeClock, server: LoopbackServer, form: str
) -> None:
    when = format_datetime(clock.now() + timedelta(seconds=120), usegmt=True)
    value = "120" if form == "seconds" else when
    server.route("/a", lambda r: Reply(429, b"slow down", {"Retry-After": value}))
    server.route("/b", lambda r: Reply(200, DOC))
    source = build_source(clock)
    a, b = Feed("a", server.url("/a"), "A"), Feed("b", server.url("/b"), "B")
    try:
        with pytest.raises(HostThrottledError) as err:
            await source.fetch(a, FeedState("a"))
        assert err.value.retry_after == pytest.approx(120)
        clock.advance(119)
        with pytest.raises(HostThrottledError) as again:
            await source.fetch(b, FeedState("b"))
        assert again.value.retry_after == pytest.approx(1)
        assert server.hits("/b") == []  # no request to that host before the time passed
        clock.advance(2)
        result = await source.fetch(b, FeedState("b"))
    finally:
        await source.aclose()
    assert len(result.stories) == 2 and len(server.hits("/b")) == 1


async def test_503_without_retry_after_backs_off_exponentially_with_jitter(
    clock: FakeClock, server: LoopbackServer
) -> None:
    server.route("/a", lambda r: Reply(503, b"busy"))
    source = build_source(clock)
    waits = []
    try:
        for _ in range(3):
            with pytest.raises(HostThrottledError) as err:
                await source.fetch(Feed("a", server.url("/a"), "A"), FeedState("a"))
            waits.append(err.value.retry_after)
            clock.advance(err.value.retry_after + 1)
    finally:
        await source.aclose()
    assert 60 <= waits[0] <= 75 and 120 <= waits[1] <= 150 and 240 <= waits[2] <= 300


async def test_pipeline_reschedules_a_throttled_feed_without_counting_a_failure(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    server.route("/a", lambda r: Reply(429, headers={"Retry-After": "900"}))
    await storage.sync_catalogue([Feed("a", server.url("/a"), "A")])
    source = build_source(clock)
    try:
        await pipeline(storage, source).poll_due(clock.now())
    finally:
        await source.aclose()
    state = await storage.get_feed_state("a")
    assert state.failures == 0 and state.next_poll_at == clock.now() + timedelta(seconds=900)


async def test_500_backs_off_then_pauses_and_tells_subscribers_once(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    server.route("/a", lambda r: Reply(500, b"oops"))
    await storage.sync_catalogue([Feed("a", server.url("/a"), "Alpha")])
    await storage.subscribe(CHAT, ["a"], clock.now())
    notices = Notices()
    source = build_source(clock)
    pipe = pipeline(storage, source, notify=notices, max_failures=3)
    delays = []
    try:
        for _ in range(3):
            await pipe.poll_due(clock.now())
            state = await storage.get_feed_state("a")
            assert state.next_poll_at is not None
            delays.append((state.next_poll_at - clock.now()).total_seconds())
            clock.current = state.next_poll_at
        polls = len(server.hits("/a"))
        await pipe.poll_due(clock.now() + timedelta(days=30))  # paused: not polled any more
        assert len(server.hits("/a")) == polls == 3
        assert state.paused_reason and "HTTP 500" in state.paused_reason
        assert len(notices.sent) == 1
        chat, text = notices.sent[0]
        assert chat == CHAT and "paused" in text and "/subscribe a" in text
        reply = await Commands(storage, source, clock).subscribe(CHAT, "a")
        resumed = await storage.get_feed_state("a")
    finally:
        await source.aclose()
    assert 1200 <= delays[0] <= 1320 and 2400 <= delays[1] <= 2640  # 2x, 4x the interval
    assert reply.kind is not ReplyKind.ERROR
    assert resumed.paused_reason is None and resumed.failures == 0
    assert [f.id for f, _ in await storage.due_feeds(clock.now())] == ["a"]


async def test_timeout_is_a_failure_not_a_hang(clock: FakeClock, server: LoopbackServer) -> None:
    async def never(request: Request) -> Reply:
        await server.stopping.wait()
        return Reply(200, DOC)

    server.route("/slow", never)
    source = build_source(clock, read_timeout=0.2)
    try:
        with pytest.raises(FeedUnavailableError, match="timed out"):
            await source.fetch(Feed("s", server.url("/slow"), "S"), FeedState("s"))
    finally:
        await source.aclose()


async def test_total_deadline_bounds_a_fetch(clock: FakeClock, server: LoopbackServer) -> None:
    async def never(request: Request) -> Reply:
        await server.stopping.wait()
        return Reply(200, DOC)

    server.route("/slow", never)
    source = build_source(clock, read_timeout=30, total_timeout=0.2)
    try:
        with pytest.raises(FeedUnavailableError, match=r"no complete answer within 0\.2 s"):
            await source.fetch(Feed("s", server.url("/slow"), "S"), FeedState("s"))
    finally:
        await source.aclose()


async def test_oversized_body_is_refused(clock: FakeClock, server: LoopbackServer) -> None:
    big = DOC + b" " * 20_000
    server.route("/announced", lambda r: Reply(200, big))
    server.route("/hidden", lambda r: Reply(200, gzip.compress(big), {"Content-Encoding": "gzip"}))
    source = build_source(clock, max_bytes=10_000)
    try:
        for path in ("/announced", "/hidden"):
            with pytest.raises(FeedUnavailableError, match="larger than 10000 bytes"):
                await source.fetch(Feed("b", server.url(path), "B"), FeedState("b"))
    finally:
        await source.aclose()


async def test_gzip_bomb_is_cut_off(clock: FakeClock, server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.route("/bomb", lambda r: Reply(200, bomb, {"Content-Encoding": "gzip"}))
    source = build_source(clock, max_bytes=1_000_000)
    try:
        with pytest.raises(BodyTooLarge):
            await source.fetch(Feed("b", server.url("/bomb"), "B"), FeedState("b"))
    finally:
        await source.aclose()


def test_capped_decoder_never_inflates_past_the_cap() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    decoder = CappedDecoder("gzip", 100_000)
    produced = 0
    with pytest.raises(BodyTooLarge):
        for i in range(0, len(bomb), 65_536):
            produced += len(decoder.feed(bomb[i : i + 65_536]))
    assert produced <= 100_000


def test_capped_decoder_handles_deflate_and_multi_member_gzip() -> None:
    import zlib

    raw = zlib.compressobj(wbits=-15)
    raw_deflate = raw.compress(b"hello world") + raw.flush()
    for coding, data in [
        ("deflate", zlib.compress(b"hello world")),
        ("deflate", raw_deflate),
        ("gzip", gzip.compress(b"hello ") + gzip.compress(b"world")),
        ("identity", b"hello world"),
    ]:
        decoder = CappedDecoder(coding, 1000)
        assert decoder.feed(data) + decoder.finish() == b"hello world", coding
    with pytest.raises(FeedUnavailableError, match="unsupported"):
        CappedDecoder("br", 1000)


async def test_per_host_concurrency_limit(clock: FakeClock, server: LoopbackServer) -> None:
    in_flight: dict[str, int] = {"one.test": 0, "two.test": 0}
    peak = dict(in_flight)

    async def slowish(request: Request) -> Reply:
        host = request.headers["host"].split(":")[0]
        in_flight[host] += 1
        peak[host] = max(peak[host], in_flight[host])
        await asyncio.sleep(0.02)
        in_flight[host] -= 1
        return Reply(200, DOC)

    server.route("/rss", slowish)
    resolver = StaticResolver({"one.test": ["127.0.0.1"], "two.test": ["127.0.0.1"]})
    source = build_source(clock, per_host=2, resolver=resolver)
    feeds = [
        Feed(f"f{i}", server.url("/rss", "one.test" if i < 6 else "two.test"), "F")
        for i in range(8)
    ]
    try:
        results = await asyncio.gather(*(source.fetch(f, FeedState(f.id)) for f in feeds))
    finally:
        await source.aclose()
    assert all(len(r.stories) == 2 for r in results)
    assert peak == {"one.test": 2, "two.test": 2}  # six requests to one.test, two at a time


async def test_http_error_status_is_not_parsed(clock: FakeClock, server: LoopbackServer) -> None:
    server.route("/gone", lambda r: Reply(404, DOC))
    source = build_source(clock)
    try:
        with pytest.raises(FeedUnavailableError, match="HTTP 404"):
            await source.fetch(Feed("g", server.url("/gone"), "G"), FeedState("g"))
    finally:
        await source.aclose()


async def test_pipeline_adapts_the_interval_to_hints_and_quiet(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    server.route("/hinted", lambda r: Reply(200, DOC, {"Cache-Control": "max-age=3600"}))
    server.route(
        "/quiet",
        lambda r: (
            Reply(304) if r.headers.get("if-none-match") else Reply(200, DOC, {"ETag": '"q"'})
        ),
    )
    await storage.sync_catalogue(
        [Feed("hinted", server.url("/hinted"), "H"), Feed("quiet", server.url("/quiet"), "Q")]
    )
    source = build_source(clock)
    pipe = pipeline(storage, source)
    quiet, hinted = [], []
    try:
        for _ in range(3):
            await pipe.poll_due(clock.now())
            quiet.append((await storage.get_feed_state("quiet")).interval_seconds)
            state = await storage.get_feed_state("hinted")
            hinted.append(state.interval_seconds)
            assert state.next_poll_at == clock.now() + timedelta(
                seconds=state.interval_seconds or 0
            )
            clock.advance(6000)
    finally:
        await source.aclose()
    assert quiet == [600, 750, 938]  # primed at the floor, then 304s stretch it
    assert hinted == [3600, 4500, 5625]  # max-age=3600 is the lower bound; quiet stretches it


async def test_a_server_ignoring_conditional_get_costs_no_parse_for_the_same_bytes(
    clock: FakeClock, server: LoopbackServer, storage: SqlStorage
) -> None:
    bodies = [DOC, DOC, rss([Item("Third", "https://news.test/3"), Item("First", DOC_FIRST)])]
    server.route("/rss", lambda r: Reply(200, bodies[min(len(server.hits("/rss")), 3) - 1]))
    await storage.sync_catalogue([Feed("t", server.url("/rss"), "T")])
    plain = build_source(clock)
    source = CountingSource(plain.fetcher, clock)
    CountingSource.parses = 0
    pipe = pipeline(storage, source)
    reports = []
    try:
        for _ in range(3):
            reports.append(await pipe.poll_due(clock.now()))
            clock.advance(6000)
    finally:
        await source.aclose()
    assert [r.not_modified for r in reports] == [0, 1, 0]
    assert CountingSource.parses == 2  # the repeated body was not parsed
    assert reports[2].new_briefs == 1
    assert len((await storage.get_feed_state("t")).content_hash or "") == 64
