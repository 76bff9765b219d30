"""A tiny HTTP/1.1 server on a loopback address for fetch tests, with scripted answers.

Each request is answered by the route registered for its path (``server.route(path, handler)``);
a handler gets the ``Request`` and returns a ``Reply`` (or awaits first, to be slow). Every
connection is closed after one answer, so each request is visible as its own connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    peer: str


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    """Content-Length to announce (None: the body's length)."""


Handler = Callable[[Request], Reply | Awaitable[Reply]]
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
            308: "Permanent Redirect", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class LoopbackServer:
    """Start with ``await server.start()``; stop with ``await server.stop()``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[Request] = []
        self._routes: dict[str, Handler] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.stopping = asyncio.Event()

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        self._routes[path] = handler

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._client, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.stopping.set()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        peer = writer.get_extra_info("peername")[0]
        request = Request(method, target, headers, peer)
        self.requests.append(request)
        handler = self._routes.get(target.split("?", 1)[0])
        result = handler(request) if handler else Reply(404, b"not found")
        reply = await result if not isinstance(result, Reply) else result
        length = len(reply.body) if reply.length is None else reply.length
        out = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'X')}"]
        out += [f"{k}: {v}" for k, v in reply.headers.items()]
        if reply.status != 304:
            out.append(f"Content-Length: {length}")
        out.append("Connection: close")
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + reply.body)
        await writer.drain()
