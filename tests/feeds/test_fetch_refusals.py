"""What the fetcher refuses or cannot reach, and the one sentence it says each time: local
files (the operator's only), addresses that are no web address, host names no resolver takes,
a closed port, and an answer that breaks off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.errors import FeedUnavailableError, UnsafeURLError
from bot.feeds.fetch import Fetcher, host_problem
from tests.feeds.conftest import FakeClock, build_source
from tests.feeds.loopback import LoopbackServer, Reply


@pytest.fixture
async def fetcher(clock: FakeClock) -> AsyncIterator[Fetcher]:
    source = build_source(clock, max_bytes=10_000)
    yield source.fetcher
    await source.aclose()


async def test_a_local_file_is_read_for_the_operator_only(fetcher: Fetcher, tmp_path: Path) -> None:
    feed = tmp_path / "local feed.xml"
    feed.write_bytes(b"<rss/>")
    url = feed.as_uri()
    assert "%20" in url  # the space is quoted in the URL and read back
    got = await fetcher.get(url, trusted=True)
    assert (got.status, got.body, got.url) == (200, b"<rss/>", url)
    with pytest.raises(UnsafeURLError, match="only http:// and https:// addresses can be used"):
        await fetcher.get(url, trusted=False)


async def test_a_missing_or_oversized_local_file_is_one_sentence(
    fetcher: Fetcher, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.xml"
    with pytest.raises(FeedUnavailableError) as gone:
        await fetcher.get(missing.as_uri(), trusted=True)
    assert str(gone.value) == f"cannot read {missing}: No such file or directory"
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 10_001)
    with pytest.raises(FeedUnavailableError) as large:
        await fetcher.get(big.as_uri(), trusted=True)
    assert str(large.value) == f"{big} is larger than 10000 bytes"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://files.example/feed.xml", "not an http(s) URL"),
        ("http:///feed.xml", "not an http(s) URL"),
        ("http://[::1/feed.xml", "Invalid IPv6 URL"),
        ("http://xn--a-.example/feed.xml", "is not a valid host name"),
        (f"http://{'a' * 64}.example/feed.xml", "label empty or too long"),
    ],
)
async def test_a_trusted_address_that_cannot_be_fetched_is_unavailable(
    fetcher: Fetcher, url: str, words: str
) -> None:
    with pytest.raises(FeedUnavailableError) as raised:
        await fetcher.get(url, trusted=True)
    assert type(raised.value) is FeedUnavailableError
    assert str(raised.value).startswith(f"cannot fetch {url!r}: ") and words in str(raised.value)


async def test_an_untrusted_bad_host_is_refused_as_unsafe(fetcher: Fetcher) -> None:
    url = f"https://{'b' * 64}.example/rss"
    with pytest.raises(UnsafeURLError) as raised:
        await fetcher.get(url, trusted=False)
    assert str(raised.value).startswith(f"'{'b' * 64}.example' is not a valid host name")


def test_host_problem_accepts_addresses_and_real_names() -> None:
    assert host_problem("127.0.0.1") is None
    assert host_problem("::1") is None
    assert host_problem("news.example") is None
    assert host_problem("bücher.example") is None  # an IDN is encoded, not refused
    assert host_problem("news.example.") is None  # a trailing dot is the root
    too_long = ".".join(["a" * 60] * 5)  # 304 characters
    assert host_problem(too_long) == f"{too_long[:80]!r} is not a valid host name (too long)"


async def test_a_closed_port_is_a_connection_failure(fetcher: Fetcher) -> None:
    server = await LoopbackServer("127.0.0.1").start()
    url = server.url("/feed.xml")
    await server.stop()
    with pytest.raises(FeedUnavailableError) as raised:
        await fetcher.get(url, trusted=True)
    assert str(raised.value).startswith("cannot connect: ")


async def test_an_answer_that_breaks_off_is_unavailable(
    fetcher: Fetcher, server: LoopbackServer
) -> None:
    server.route("/short.xml", lambda _r: Reply(200, b"<rss>", length=5000))
    with pytest.raises(FeedUnavailableError) as raised:
        await fetcher.get(server.url("/short.xml"), trusted=True)
    assert str(raised.value).startswith("the response broke off: ")


async def test_an_error_status_names_the_host_and_a_404_is_not_read(
    fetcher: Fetcher, server: LoopbackServer
) -> None:
    server.route("/gone.xml", lambda _r: Reply(404, b"x" * 50_000))  # over max_bytes: unread
    with pytest.raises(FeedUnavailableError) as raised:
        await fetcher.get(server.url("/gone.xml"), trusted=True)
    assert str(raised.value) == "HTTP 404 from 127.0.0.1"
