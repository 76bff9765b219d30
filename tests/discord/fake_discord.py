"""A loopback Discord for tests: the REST API (under ``/api/v10``) and the gateway websocket.

It speaks just enough of Discord for the unmodified discord.py 2.7 to log in, connect, receive
slash-command interactions, answer them, register commands and post into channels, threads
and forums. Facts it relies on (see research/chat-fakes.md): JSON answers carry exactly
``Content-Type: application/json``; a 429 that discord.py should honour carries a ``Via``
header and ``retry_after`` in the body; READY needs ``resume_gateway_url``; interactions need
``attachment_size_limit``, ``version`` and ``application_id``; ``member.flags`` is required.

It also checks what Discord would refuse and records each breach in ``violations`` (answered
with a 400): content over 2000 characters, more than 10 embeds or embed fields over their
limits, a thread name over 100 characters, an interaction acknowledged twice, a follow-up
before the acknowledgement, and a second live gateway session identifying for a shard that
already has one. Visibility is modelled as Discord does it: the first follow-up
after a deferral replaces the "thinking" placeholder and keeps the deferral's visibility;
editing the original response (``PATCH .../messages/@original``) fills the placeholder instead,
and is recorded in ``InteractionLog.edits``.

Files: :meth:`FakeDiscord.attach` stores a file a user attaches to a command (served from
``/attachments/...`` like Discord's CDN, each download recorded in ``downloads``); messages
sent as ``multipart/form-data`` (``payload_json`` and ``files[n]``) keep their files in
``Sent.files``.

Latency and rate limits (``FakeDiscord(latency=..., limits=Limits())``; off by default so the
adapter tests run at loopback speed). Modelled on Discord's rate-limit documentation:

- every REST answer takes ``latency`` seconds: half before the request is counted against
  the limits, half after;
- **global**: at most ``Limits.global_per_second`` bot requests in any one-second window
  (interaction callbacks and follow-ups are exempt, as Discord documents). Over it the bot is
  blocked for ``retry_after`` (the time until the window has room again); every request
  during the block gets the same 429: body ``{"retry_after": <float s>, "global": true}``,
  headers ``Retry-After`` (whole seconds, rounded up), ``X-RateLimit-Global: true``,
  ``X-RateLimit-Scope: global`` and ``Via`` (without it discord.py takes a Cloudflare ban);
- **per route**: ``POST /channels/{id}/messages`` and ``POST /channels/{id}/threads`` have a
  bucket per channel (the major parameter) of ``Limits.route_limit`` requests per
  ``Limits.route_window`` seconds, counted from the bucket's first request. Every answer on
  those routes carries ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``, ``-Reset-After``
  and ``-Bucket`` (discord.py waits pre-emptively on ``Remaining: 0``); going over gets a 429
  with ``global: false`` and ``X-RateLimit-Scope: user``.

``served_429`` counts the 429s served by kind (``global``, ``route``, ``scripted``).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from discord_payloads import (
    APP_ID,
    BOT_USER,
    EPHEMERAL,
    GUILD_ID,
    HUMAN,
    OWNER_ID,
    TEXT_ID,
    THREAD_ID,
    TOKEN,
    Attached,
    Payloads,
)


@dataclass
class Sent:
    """A message as members would see it."""

    content: str
    embeds: list[dict[str, Any]]
    ephemeral: bool
    allowed_mentions: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)
    """(file name, bytes) of every file uploaded with it."""

    @classmethod
    def of(cls, body: dict[str, Any], ephemeral: bool) -> Sent:
        """The message a request body (interaction data or webhook body) posts."""
        return cls(
            body.get("content") or "",
            body.get("embeds") or [],
            ephemeral,
            body.get("allowed_mentions"),
            list(body.get(FILES) or []),
        )


FILES = "files[n]"
"""Where ``_body`` puts the uploaded files of a multipart request, next to its JSON fields."""


@dataclass
class InteractionLog:
    """Everything one interaction's token was used for."""

    id: str
    token: str
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Sent] = field(default_factory=list)
    placeholder: bool | None = None
    """Ephemeral flag of the pending "thinking" placeholder; None when there is none."""
    edits: list[Sent] = field(default_factory=list)
    """Every edit of the original response, in order."""


@dataclass(frozen=True)
class Limits:
    """Discord's documented limits: 50 requests/s per bot, 5 messages per 5 s per channel."""

    global_per_second: int = 50
    route_limit: int = 5
    route_window: float = 5.0


@dataclass
class Bucket:
    """One per-route bucket (a route and its major parameter)."""

    used: int = 0
    reset_at: float = 0.0


_LIMITED_ROUTES = {
    r"/channels/(\d+)/messages": "fake-message-create",
    r"/channels/(\d+)/threads": "fake-thread-create",
}
_EXEMPT = re.compile(r"/interactions/.*|/webhooks/.*")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)
    """When it was counted (monotonic)."""


class FakeDiscord(Payloads):
    """Start with ``await fake.start()``; point discord.py at ``api_url`` and ``gateway_url``."""

    def __init__(self, *, latency: float = 0.0, limits: Limits | None = None) -> None:
        super().__init__()
        self.latency = latency
        self.limits = limits
        self.served_429: Counter[str] = Counter()
        self._window: deque[float] = deque()
        self._blocked_until = 0.0
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.interactions: dict[str, InteractionLog] = {}
        self.channel_messages: list[dict[str, Any]] = []
        self.edited: list[dict[str, Any]] = []
        """Accepted ``PATCH`` edits of channel messages."""
        self.deleted: set[str] = set()
        """Ids of channel messages a user deleted (editing them answers 404)."""
        self.forum_posts: list[dict[str, Any]] = []
        self.synced: dict[str, list[dict[str, Any]]] = {}
        self.identify: dict[str, Any] | None = None
        self.attachments: dict[int, bytes] = {}
        self.downloads: list[int] = []
        """The id of every attachment downloaded."""
        self.identified: list[list[int]] = []
        """The ``[shard_id, shard_count]`` of every IDENTIFY, in order."""
        self.sessions: dict[int, web.WebSocketResponse] = {}
        """Live gateway sessions by shard id; events go to the one of the guild's shard."""
        self._failures: list[tuple[str, re.Pattern[str], int, Any, dict[str, str]]] = []
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sessions.values()):
            await ws.close()
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- scripting ------------------------------------------------------------------------
    def fail(
        self, method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next request matching ``method`` and the ``path`` regex with an error."""
        self._failures.append((method, re.compile(path), status, body, headers or {}))

    def drop(self, method: str, path: str) -> None:
        """Close the connection of the next matching request without answering (a network
        error for the client)."""
        self._failures.append((method, re.compile(path), 0, None, {}))

    def rate_limit(self, method: str, path: str, retry_after: float, *, via: bool = True) -> None:
        """A 429 as Discord sends it (with ``via=False``: as Cloudflare would, no Via)."""
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Scope": "user",
        }
        if via:
            headers["Via"] = "1.1 google"
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": False,
            "code": 0,
        }
        self.fail(method, path, 429, body, headers)

    def used_elsewhere(self, channel_id: int) -> None:
        """Spend the channel's message bucket as another process of the same bot would, so
        discord.py's next post there meets a per-route 429 it could not foresee."""
        assert self.limits is not None
        self._buckets[("fake-message-create", str(channel_id))] = Bucket(
            self.limits.route_limit, time.monotonic() + self.limits.route_window
        )

    def attach(
        self, data: bytes, filename: str = "feeds.opml", *, size: int | None = None
    ) -> Attached:
        """A file a user attaches (with ``size``: that large, without content)."""
        attachment_id = next(self._ids)
        if size is None:
            self.attachments[attachment_id] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        return Attached(attachment_id, filename, len(data) if size is None else size, url)

    async def _attachment(self, request: web.Request) -> web.Response:
        attachment_id = int(request.match_info["id"])
        data = self.attachments.get(attachment_id)
        if data is None:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(attachment_id)
        return web.Response(body=data, content_type="application/octet-stream")

    def count(self, method: str, path: str) -> int:
        """How many requests matched ``method`` and the ``path`` regex."""
        pattern = re.compile(path)
        return sum(1 for r in self.requests if r.method == method and pattern.fullmatch(r.path))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await self._send({"op": 0, "t": event, "s": self._seq, "d": data})

    async def interact(self, payload: dict[str, Any]) -> InteractionLog:
        """Send an INTERACTION_CREATE; returns the log its answers will be recorded in."""
        log = self.interactions.setdefault(
            payload["token"], InteractionLog(payload["id"], payload["token"])
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return log

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        within: float = 5.0,
        check: Callable[[], None] | None = None,
    ) -> None:
        """Poll ``predicate`` (calling ``check`` to fail fast, e.g. on a crashed client)."""
        deadline = time.monotonic() + within
        while not predicate():
            if check is not None:
                check()
            if time.monotonic() > deadline:
                raise AssertionError("the fake Discord did not see the expected requests")
            await asyncio.sleep(0.005)

    # -- REST -----------------------------------------------------------------------------
    @staticmethod
    def _json(
        data: Any, status: int = 200, headers: dict[str, str] | None = None, *, bucket: bool = True
    ) -> web.Response:
        # discord.py parses JSON only for exactly this content type (no "; charset=utf-8").
        base = {"Content-Type": "application/json"}
        if bucket:
            base |= {
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "4",
                "X-RateLimit-Reset-After": "1.0",
                "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                "X-RateLimit-Bucket": "fake",
            }
        base.update(headers or {})
        if status == 204:
            del base["Content-Type"]
            return web.Response(status=204, headers=base)
        return web.Response(body=json.dumps(data).encode(), status=status, headers=base)

    @staticmethod
    async def _body(request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type == "multipart/form-data":
            form = await request.post()
            body = json.loads(str(form["payload_json"]))
            body[FILES] = [
                (part.filename, part.file.read())
                for key, part in form.items()
                if key.startswith("files[") and isinstance(part, web.FileField)
            ]
            return body
        return await request.json()

    def _refuse(self, why: str) -> web.Response:
        self.violations.append(why)
        return self._json({"message": f"Invalid Form Body: {why}", "code": 50035}, 400)

    def _check_message(self, body: dict[str, Any]) -> str | None:
        """What Discord would reject in a message body, if anything."""
        content, embeds = body.get("content") or "", body.get("embeds") or []
        if len(content) > 2000:
            return f"content of {len(content)} characters"
        if not content and not embeds and not body.get(FILES):
            return "empty message"
        if len(embeds) > 10:
            return f"{len(embeds)} embeds"
        total = 0
        for e in embeds:
            sizes = {
                "title": len(e.get("title") or ""),
                "description": len(e.get("description") or ""),
                "footer": len((e.get("footer") or {}).get("text") or ""),
                "author": len((e.get("author") or {}).get("name") or ""),
            }
            limits = {"title": 256, "description": 4096, "footer": 2048, "author": 256}
            for key, size in sizes.items():
                if size > limits[key]:
                    return f"embed {key} of {size} characters"
            total += sum(sizes.values())
        if total > 6000:
            return f"embeds of {total} characters"
        return None

    # -- limits ---------------------------------------------------------------------------
    def _global_429(self, now: float) -> web.Response | None:
        """A global 429 when the bot is over (or blocked for going over) the global limit."""
        assert self.limits is not None
        per_second = self.limits.global_per_second
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if now < self._blocked_until:
            retry_after = self._blocked_until - now
        elif len(self._window) >= per_second:
            retry_after = 1.0 - (now - self._window[0])
            self._blocked_until = now + retry_after
        else:
            self._window.append(now)
            return None
        self.served_429["global"] += 1
        headers = {
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            "Via": "1.1 google",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after}
        # No bucket headers: a global 429 says nothing about the route's bucket.
        return self._json(body | {"global": True, "code": 0}, 429, headers, bucket=False)

    def _route(
        self, method: str, path: str, now: float
    ) -> tuple[web.Response | None, dict[str, str]]:
        """The per-route bucket's verdict (a 429 or None) and the headers of its answer."""
        if self.limits is None or method != "POST":
            return None, {}
        found = [
            (m[1], bucket_hash)
            for pattern, bucket_hash in _LIMITED_ROUTES.items()
            if (m := re.fullmatch(pattern, path))
        ]
        if not found:
            return None, {}
        channel, bucket_hash = found[0]
        bucket = self._buckets.setdefault((bucket_hash, channel), Bucket())
        if now >= bucket.reset_at:
            bucket.used, bucket.reset_at = 0, now + self.limits.route_window
        reset_after = bucket.reset_at - now
        headers = {
            "X-RateLimit-Limit": str(self.limits.route_limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }
        if bucket.used >= self.limits.route_limit:
            self.served_429["route"] += 1
            headers |= {
                "X-RateLimit-Remaining": "0",
                "Retry-After": str(math.ceil(reset_after)),
                "X-RateLimit-Scope": "user",
                "Via": "1.1 google",
            }
            body = {"message": "You are being rate limited.", "retry_after": reset_after}
            return self._json(body | {"global": False, "code": 0}, 429, headers), headers
        bucket.used += 1
        headers["X-RateLimit-Remaining"] = str(self.limits.route_limit - bucket.used)
        return None, headers

    def _limited(self, method: str, path: str) -> tuple[web.Response | None, dict[str, str]]:
        now = time.monotonic()
        if self.limits is not None and not _EXEMPT.fullmatch(path):
            refused = self._global_429(now)
            if refused is not None:
                return refused, {}
        return self._route(method, path, now)

    async def _rest(self, request: web.Request) -> web.Response:
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        response = await self._answer(request)
        if self.latency:
            await asyncio.sleep(self.latency / 2)
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        path, method = "/" + request.match_info["path"], request.method
        body = await self._body(request)
        self.requests.append(Request(method, path, dict(request.query), body))
        auth = request.headers.get("Authorization")
        if auth is not None and auth != f"Bot {TOKEN}":  # webhook-token routes carry none
            return self._json({"message": "401: Unauthorized", "code": 0}, 401)
        for i, (m, pattern, status, fbody, headers) in enumerate(self._failures):
            if m == method and pattern.fullmatch(path):
                del self._failures[i]
                if status == 429:
                    self.served_429["scripted"] += 1
                if status == 0:  # a network error: the connection drops without an answer
                    assert request.transport is not None
                    request.transport.close()
                return self._json(fbody, status, headers)
        refused, route_headers = self._limited(method, path)
        if refused is not None:
            return refused
        response = self._route_answer(request, method, path, body)
        response.headers.update(route_headers)
        return response

    def _route_answer(
        self, request: web.Request, method: str, path: str, body: Any
    ) -> web.Response:
        if method == "GET" and path == "/users/@me":
            return self._json(BOT_USER)
        if method == "GET" and path == "/oauth2/applications/@me":
            return self._json(
                {
                    "id": str(APP_ID),
                    "name": "newsbrief",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "team": None,
                    "owner": {**HUMAN, "id": str(OWNER_ID)},
                }
            )
        if method == "PUT" and (
            m := re.fullmatch(r"/applications/\d+(?:/guilds/(\d+))?/commands", path)
        ):
            scope = m[1] or "global"
            self.synced[scope] = [
                {**c, "id": str(next(self._ids)), "application_id": str(APP_ID), "version": "1"}
                for c in body
            ]
            return self._json(self.synced[scope])
        if method == "POST" and (m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)):
            return self._callback(m[2], body, request.query.get("with_response") in ("1", "true"))
        if m := re.fullmatch(r"/webhooks/\d+/([^/]+)(/messages/@original)?", path):
            return self._webhook(method, m[1], bool(m[2]), body)
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/messages", path)):
            if why := self._check_message(body):
                return self._refuse(why)
            posted = self.message(int(m[1]), body)
            self.channel_messages.append({"channel_id": int(m[1]), "id": posted["id"], **body})
            return self._json(posted)
        if method == "PATCH" and (m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)):
            return self._edit_message(int(m[1]), m[2], body)
        if method == "POST" and (m := re.fullmatch(r"/channels/(\d+)/threads", path)):
            return self._forum_post(int(m[1]), body)
        if method == "GET" and (m := re.fullmatch(r"/channels/(\d+)", path)):
            return self._json(self.channel(int(m[1])))
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    def _edit_message(self, channel_id: int, message_id: str, body: Any) -> web.Response:
        """``PATCH /channels/{id}/messages/{id}``: a message the bot posted there and nobody
        deleted (``deleted``), else 404 Unknown Message (code 10008)."""
        known = any(
            m["channel_id"] == channel_id and m["id"] == message_id for m in self.channel_messages
        )
        if not known or message_id in self.deleted:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        if why := self._check_message(body):
            return self._refuse(why)
        self.edited.append({"channel_id": channel_id, "id": message_id, **body})
        return self._json({**self.message(channel_id, body), "id": message_id})

    def _callback(self, token: str, body: dict[str, Any], with_response: bool) -> web.Response:
        log = self.interactions.setdefault(token, InteractionLog("?", token))
        if log.callbacks:
            return self._refuse("interaction acknowledged twice")  # Discord: code 40060
        log.callbacks.append(body)
        data = body.get("data") or {}
        ephemeral = bool((data.get("flags") or 0) & EPHEMERAL)
        message = None
        if body["type"] == 4:
            if why := self._check_message(data):
                return self._refuse(why)
            log.messages.append(Sent.of(data, ephemeral))
            message = self.message(TEXT_ID, data)
        elif body["type"] == 5:
            log.placeholder = ephemeral
            message = self.message(TEXT_ID, {"content": "", "flags": 128 | (64 * ephemeral)})
        if not with_response:
            return self._json(None, 204)
        resource: dict[str, Any] = {"type": body["type"]}
        if message is not None:
            resource["message"] = message
        return self._json(
            {
                "interaction": {
                    "id": log.id,
                    "type": 2,
                    "response_message_loading": body["type"] == 5,
                    "response_message_ephemeral": ephemeral,
                },
                "resource": resource,
            }
        )

    def _webhook(self, method: str, token: str, original: bool, body: Any) -> web.Response:
        log = self.interactions.get(token)
        if log is None or not log.callbacks:
            self.violations.append("follow-up before the interaction was acknowledged")
            return self._json({"message": "Unknown Webhook", "code": 10015}, 404)
        if original and method == "DELETE":
            log.placeholder = None
            return self._json(None, 204)
        if original and method == "PATCH":
            if why := self._check_message(body):
                return self._refuse(why)
            if log.placeholder is not None:
                shown = log.placeholder
            elif log.edits:
                shown = log.edits[-1].ephemeral
            else:  # the original was deleted, or never was a deferral
                return self._json({"message": "Unknown Message", "code": 10008}, 404)
            log.placeholder = None  # the placeholder is now this message
            log.edits.append(Sent.of(body, shown))
            return self._json(self.message(TEXT_ID, body) | {"webhook_id": str(APP_ID)})
        if method != "POST" or original:
            return self._json({"message": "405: Method Not Allowed", "code": 0}, 405)
        if why := self._check_message(body):
            return self._refuse(why)
        ephemeral = bool((body.get("flags") or 0) & EPHEMERAL)
        if log.placeholder is not None:  # the first follow-up replaces "thinking..."
            ephemeral, log.placeholder = log.placeholder, None
        log.messages.append(Sent.of(body, ephemeral))
        return self._json(self.message(TEXT_ID, body) | {"webhook_id": str(APP_ID)})

    def _forum_post(self, forum_id: int, body: dict[str, Any]) -> web.Response:
        name, message = body.get("name") or "", body.get("message") or {}
        if not 1 <= len(name) <= 100:
            return self._refuse(f"thread name of {len(name)} characters")
        if why := self._check_message(message):
            return self._refuse(why)
        thread_id = next(self._ids)
        self.forum_posts.append({"forum_id": forum_id, "thread_id": thread_id, **body})
        thread = {
            **self.channel(THREAD_ID),
            "id": str(thread_id),
            "name": name,
            "parent_id": str(forum_id),
            "owner_id": str(APP_ID),
        }
        return self._json({**thread, "message": self.message(thread_id, message)}, 201)

    # -- gateway --------------------------------------------------------------------------
    async def _send(self, payload: dict[str, Any], ws: web.WebSocketResponse | None = None) -> None:
        ws = ws or self._ws
        assert ws is not None, "no gateway connection"
        # Text frames are always accepted, whatever compression the client asked for.
        await ws.send_str(json.dumps(payload))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        shard: int | None = None
        await self._send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": 41250}}, ws)
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                if frame["op"] == 1:
                    await self._send({"op": 11, "s": None, "t": None, "d": None}, ws)
                elif frame["op"] == 2:
                    self.identify = frame["d"]
                    shard, count = frame["d"].get("shard") or [0, 1]
                    self.identified.append([shard, count])
                    if shard in self.sessions:
                        self.violations.append(f"shard {shard} identified twice")
                    self.sessions[shard] = ws
                    ours = (GUILD_ID >> 22) % count == shard
                    if ours:
                        self._ws = ws
                    guilds = [{"id": str(GUILD_ID), "unavailable": True}] if ours else []
                    self._seq += 1
                    ready = {
                        "v": 10,
                        "user": BOT_USER,
                        "session_id": f"fake-session-{shard}",
                        "resume_gateway_url": self.gateway_url,
                        "shard": [shard, count],
                        "guilds": guilds,
                        "application": {"id": str(APP_ID), "flags": 0},
                    }
                    await self._send({"op": 0, "t": "READY", "s": self._seq, "d": ready}, ws)
                    if ours:
                        await self.dispatch("GUILD_CREATE", self.guild())
                elif frame["op"] == 6:
                    await self._send({"op": 9, "s": None, "t": None, "d": False}, ws)
        finally:
            if shard is not None and self.sessions.get(shard) is ws:
                del self.sessions[shard]
            if self._ws is ws:
                self._ws = None
        return ws
