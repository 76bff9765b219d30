"""The SSRF guard: URLs refused before any request, addresses refused at connection time,
redirect hops, names that resolve to private addresses, and DNS rebinding."""

from __future__ import annotations

import ipaddress

import pytest

from bot.core.errors import UnsafeURLError
from bot.core.models import ChatRef, Feed, FeedState, Platform, ReplyKind
from bot.feeds.guard import address_problem, check_url
from bot.feeds.transport import StaticResolver
from bot.storage import SqlStorage
from tests.feeds.conftest import PUBLIC_STANDIN, FakeClock, build_source
from tests.feeds.loopback import LoopbackServer, Reply

FEED = b'<rss version="2.0"><channel><title>T</title><item><title>A</title></item></channel></rss>'

REFUSED_BY_SYNTAX = [
    ("http://127.0.0.1/feed", "loopback"),
    ("http://2130706433/feed", "loopback"),  # decimal
    ("http://0177.0.0.1/feed", "loopback"),  # octal
    ("http://017700000001/", "loopback"),  # octal, one number
    ("http://0x7f.0.0.1/", "loopback"),  # hex
    ("http://127.1/", "loopback"),  # short form
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
    ("http://[::ffff:7f00:1]/", "IPv4-mapped"),
    ("http://[0:0:0:0:0:ffff:127.0.0.1]/", "IPv4-mapped"),
    ("http://[::ffff:8.8.8.8]/", "IPv4-mapped"),  # mapped, even when public
    ("http://[::127.0.0.1]/", "IPv4-compatible"),
    ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64 of 127.0.0.1
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[::]/", "unspecified"),
    ("http://[ff02::1]/", "multicast"),
    ("http://0.0.0.0:8080/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "reserved"),  # shared address space (CGNAT)
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://localhost:8080/feed", "this computer"),
    ("http://feeds.localhost/", "this computer"),
    ("ftp://example.com/feed.xml", "only http"),
    ("file:///etc/passwd", "only http"),
    ("gopher://example.com/", "only http"),
    ("javascript:alert(1)", "only http"),
    ("http://user:secret@example.com/feed", "user name or password"),
    ("http:///feed", "no host"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_BY_SYNTAX)
def test_refused_before_any_request(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError) as err:
        check_url(url)
    assert reason in str(err.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bbc.co.uk/news/rss.xml",
        "http://93.184.216.34/feed",
        "http://[2606:4700::1111]/",
    ],
)
def test_public_urls_pass(url: str) -> None:
    assert check_url(url).hostname


def test_allowed_networks_make_an_exception() -> None:
    assert address_problem(ipaddress.ip_address("127.0.0.2"), PUBLIC_STANDIN) is None
    assert address_problem(ipaddress.ip_address("127.0.0.1"), PUBLIC_STANDIN) is not None


async def test_every_refused_url_is_refused_by_the_fetcher_too(clock: FakeClock) -> None:
    source = build_source(clock, resolver=StaticResolver({}))
    try:
        for url, _ in REFUSED_BY_SYNTAX:
            with pytest.raises(UnsafeURLError):
                await source.fetcher.get(url, trusted=False)
    finally:
        await source.aclose()


@pytest.mark.parametrize(
    ("name", "addresses", "reason"),
    [
        ("evil.test", ["127.0.0.1"], "loopback"),
        ("metadata.test", ["169.254.169.254"], "link-local"),
        ("mixed.test", ["93.184.216.34", "10.1.2.3"], "private"),  # one bad answer is enough
        ("six.test", ["::1"], "loopback"),
        ("mapped.test", ["::ffff:127.0.0.1"], "IPv4-mapped"),
    ],
)
async def test_names_that_resolve_to_refused_addresses(
    clock: FakeClock, server: LoopbackServer, name: str, addresses: list[str], reason: str
) -> None:
    server.route("/feed", lambda r: Reply(200, FEED))
    resolver = StaticResolver({name: addresses})
    source = build_source(clock, resolver=resolver, allowed=PUBLIC_STANDIN)
    try:
        with pytest.raises(UnsafeURLError) as err:
            await source.fetcher.get(f"http://{name}:{server.port}/feed", trusted=False)
    finally:
        await source.aclose()
    assert reason in str(err.value) and name in str(err.value)
    assert server.requests == []  # nothing reached the loopback server


async def test_system_resolver_refuses_localhost_name_variants(clock: FakeClock) -> None:
    source = build_source(clock)  # the real resolver: "localhost." resolves to loopback
    try:
        with pytest.raises(UnsafeURLError):
            await source.fetcher.get("http://localhost./feed", trusted=False)
    finally:
        await source.aclose()


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://localhost:{port}/secret",
        "http://evil.test:{port}/secret",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "file:///etc/passwd",
    ],
)
async def test_redirects_to_refused_places_are_refused(
    clock: FakeClock, server: LoopbackServer, public_server: LoopbackServer, target: str
) -> None:
    server.route("/secret", lambda r: Reply(200, FEED))
    location = target.format(port=server.port)
    public_server.route("/feed", lambda r: Reply(302, headers={"Location": location}))
    resolver = StaticResolver({"evil.test": ["127.0.0.1"], "news.test": ["127.0.0.2"]})
    source = build_source(clock, resolver=resolver, allowed=PUBLIC_STANDIN)
    try:
        with pytest.raises(UnsafeURLError):
            await source.fetcher.get(public_server.url("/feed", "news.test"), trusted=False)
    finally:
        await source.aclose()
    assert len(public_server.hits("/feed")) == 1
    assert server.requests == []


async def test_dns_rebinding_is_caught_at_connection_time(
    clock: FakeClock, server: LoopbackServer, public_server: LoopbackServer
) -> None:
    """The name is resolved once per connection, vetted, and that very address is used."""

    class Rebinding(StaticResolver):
        async def resolve(self, host: str, port: int) -> list[str]:
            self.calls.append(host)
            return ["127.0.0.2"] if len(self.calls) == 1 else ["127.0.0.1"]

    public_server.route("/feed", lambda r: Reply(200, FEED))
    server.route("/feed", lambda r: Reply(200, FEED))
    resolver = Rebinding({})
    source = build_source(clock, resolver=resolver, allowed=PUBLIC_STANDIN)
    url = f"http://rebind.test:{public_server.port}/feed"
    try:
        first = await source.fetcher.get(url, trusted=False)
        assert first.status == 200
        with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1 is this computer"):
            await source.fetcher.get(url, trusted=False)
    finally:
        await source.aclose()
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert len(public_server.requests) == 1  # the first, vetted answer was used
    assert server.requests == []


async def test_trusted_feeds_and_the_allow_private_switch_reach_loopback(
    clock: FakeClock, server: LoopbackServer
) -> None:
    server.route("/feed", lambda r: Reply(200, FEED))
    guarded = build_source(clock)
    unguarded = build_source(clock, guard=False)  # NEWSBRIEF_ALLOW_PRIVATE_URLS=true
    try:
        trusted = await guarded.fetch(Feed("op", server.url("/feed"), "Op"), FeedState("op"))
        with pytest.raises(UnsafeURLError):
            await guarded.fetch(Feed("u", server.url("/feed"), "U", trusted=False), FeedState("u"))
        lifted = await unguarded.fetch(
            Feed("u", server.url("/feed"), "U", trusted=False), FeedState("u")
        )
    finally:
        await guarded.aclose()
        await unguarded.aclose()
    assert [s.title for s in trusted.stories] == ["A"]
    assert [s.title for s in lifted.stories] == ["A"]
    assert len(server.hits("/feed")) == 2


async def test_commands_reply_with_the_reason(clock: FakeClock, storage: SqlStorage) -> None:
    from bot.core.commands import Commands

    source = build_source(clock, resolver=StaticResolver({"intranet.test": ["10.0.0.7"]}))
    commands = Commands(storage, source, clock)
    chat = ChatRef(Platform.CONSOLE, "c1")
    try:
        reply = await commands.subscribe(chat, "http://intranet.test/rss")
        octal = await commands.subscribe(chat, "http://0177.0.0.1/rss")
    finally:
        await source.aclose()
    assert reply.kind is ReplyKind.ERROR
    assert reply.text.startswith("Cannot use http://intranet.test/rss: intranet.test resolves to")
    assert "10.0.0.7 is a private network address" in reply.text
    assert octal.text == (
        "Cannot use http://0177.0.0.1/rss: 127.0.0.1 is this computer (a loopback address); "
        "only public internet addresses can be used"
    )
    assert await storage.list_feeds() == []
