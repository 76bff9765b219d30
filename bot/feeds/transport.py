"""The httpx transport under the shared client: resolve once, vet, connect to the vetted address.

httpx's own transport lets the operating system resolve and connect in one step, so a guard
that resolves first and lets httpx connect afterwards can be fooled by a DNS answer that
changes in between (DNS rebinding). ``PinningBackend`` is an httpcore network backend that
does both itself: it resolves the host with an injectable ``Resolver``, vets every address
(``bot.feeds.guard``) when the connection is for an untrusted feed, then connects to one of
the vetted addresses and checks that the socket's peer is that address. TLS still uses the
host name for SNI and certificate checks, because httpcore starts TLS on the returned stream
with the origin's name.

``GuardedTransport`` keeps two connection pools, one whose connections were vetted and one
for trusted (operator) feeds, and picks one per request from the request extension
``TRUSTED`` (set by ``bot.feeds.fetch.Fetcher``), so a keep-alive connection opened for a
trusted feed on a private address is never reused for an untrusted one. It does not read
proxy settings from the environment: a proxy would hide the address being connected to.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import httpcore
import httpx

from bot.feeds.guard import Network, address_problem, refuse

TRUSTED = "newsbrief.trusted"
"""Request extension: True when the request is for a trusted (operator) feed."""


class Resolver(Protocol):
    """Turns a host name into IP address strings (tests inject their own)."""

    async def resolve(self, host: str, port: int) -> list[str]: ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), run by the event loop's executor."""

    async def resolve(self, host: str, port: int) -> list[str]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class StaticResolver:
    """A fixed table of names to addresses, falling back to another resolver (tests, bench)."""

    def __init__(self, table: Mapping[str, Sequence[str]], fallback: Resolver | None = None):
        self._table = {k.lower(): list(v) for k, v in table.items()}
        self._fallback = fallback
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        name = host.lower().rstrip(".")
        if name in self._table:
            return list(self._table[name])
        for pattern, addresses in self._table.items():
            if pattern.startswith("*.") and name.endswith(pattern[1:]):
                return list(addresses)
        if self._fallback is not None:
            return await self._fallback.resolve(host, port)
        raise OSError(f"{host}: name not known")


class PinningBackend(httpcore.AsyncNetworkBackend):
    """Resolves, optionally vets, and connects to a vetted address (see module docstring)."""

    def __init__(self, resolver: Resolver, *, vet: bool, allowed: Sequence[Network] = ()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._resolver = resolver
        self._vet = vet
        self._allowed = tuple(allowed)

    async def _addresses(self, host: str, port: int, limit: float | None) -> list[str]:
        try:
            async with asyncio.timeout(limit):
                found = await self._resolver.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except (OSError, UnicodeError) as exc:  # UnicodeError: a name the IDNA codec refuses
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not found:
            raise httpcore.ConnectError(f"{host} has no address")
        if self._vet:
            for text in found:
                problem = address_problem(ipaddress.ip_address(text.split("%")[0]), self._allowed)
                if problem:
                    raise refuse(f"{host} resolves to {problem}")
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self._addresses(host, port, timeout):
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            peer = stream.get_extra_info("server_addr")
            if self._vet and (not peer or str(peer[0]) != address):
                await stream.aclose()
                raise refuse(f"{host} connected to {peer!r}, not the vetted {address}")
            return stream
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    """Re-raise httpcore errors as the httpx errors callers of httpx expect."""
    try:
        yield
    except Exception as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc) or source.__name__, request=request) from exc
        raise


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterator[bytes] | Any, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        close: Callable[[], Any] | None = getattr(self._stream, "aclose", None)
        if close is not None:
            with _mapped(self._request):
                await close()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Two httpcore pools behind one httpx transport: vetted and trusted (module docstring)."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        *,
        allowed: Sequence[Network] = (),
        guard: bool = True,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        resolver = resolver or SystemResolver()
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=50)
        context = ssl_context or httpx.create_ssl_context()

        def pool(vet: bool) -> httpcore.AsyncConnectionPool:
            return httpcore.AsyncConnectionPool(
                ssl_context=context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=PinningBackend(resolver, vet=vet, allowed=allowed),
            )

        self._trusted = pool(False)
        self._vetted = pool(True) if guard else self._trusted

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self._trusted if request.extensions.get(TRUSTED) else self._vetted
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped(request):
            response = await pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream, request),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._trusted.aclose()
        if self._vetted is not self._trusted:
            await self._vetted.aclose()
