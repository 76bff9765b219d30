"""A loopback fake of the Telegram Bot API (aiohttp), for driving the real python-telegram-bot.

Requests arrive at ``{base}/bot{token}/{method}`` exactly like at api.telegram.org, so the bot
under test is configured only with ``NEWSBRIEF_TELEGRAM_API_URL=http://127.0.0.1:PORT``.

- ``getUpdates`` is real long polling: it waits for :meth:`FakeBotApi.push` up to ``timeout``,
  honours ``offset`` (updates below it are confirmed and dropped) and ``limit``; pending polls
  are woken at :meth:`stop` so shutdown never waits for a poll timeout. As with Telegram, a
  ``getUpdates`` that arrives while another is waiting ends the waiting one with 409 Conflict
  (counted in :attr:`FakeBotApi.conflicts`); :attr:`FakeBotApi.most_polls` is the most polls
  ever waiting at once.
- ``sendMessage`` checks what Telegram checks: the chat exists and is reachable (blocked chats
  answer 403, migrated groups 400 with ``migrate_to_chat_id``), the forum topic exists, the HTML
  parses (``tg_html``), and the text after entity parsing is at most 4096 UTF-16 units. It
  records every accepted message in :attr:`FakeBotApi.sent`.
- Files: :meth:`FakeBotApi.add_document` stores a document a user sends (the ``Document``
  object goes into an update); ``getFile`` answers its ``file_path`` (400 "file is too big"
  over the Bot API's 20 MB download limit, as Telegram does) and ``GET
  /file/bot{token}/{file_path}`` serves its bytes, each download recorded in
  :attr:`FakeBotApi.downloads`. ``sendDocument`` takes a multipart upload (the file, its name,
  a caption of at most 1024 characters) and records it like a message, with the file.
- ``editMessageText`` edits a message the bot sent to that chat and not deleted
  (:attr:`FakeBotApi.deleted`; else 400 "message to edit not found"); the same text again is
  400 "message is not modified". Edits count against flood control like sends; each accepted
  one is recorded in :attr:`Sent.edits` and in :attr:`FakeBotApi.edited`.
- Optional flood control (:class:`Limits`): at most ``per_second`` messages in any one-second
  window overall and one per ``per_chat_interval`` per chat, else 429 with ``retry_after``.
  Going over the overall limit is penalised as Telegram does: every chat is refused (429) until
  ``retry_after`` has passed, not just the message that went over.
- Optional latency (``latency`` seconds): every call but ``getUpdates`` is answered after that
  delay, half on the way in (before the flood check) and half on the way out, like a Bot API
  50-150 ms away.
- Scripted failures (:meth:`FakeBotApi.fail`) answer any method with any error, per chat.

Run it alone to point a real ``newsbrief run`` at it: ``python -m tests.telegram.fake_bot_api``;
then ``POST /_fake/say`` (form ``chat_id``, ``text``, optional ``from``) types as a user, ``GET
/_fake/sent`` lists what the bot sent, ``GET /_fake/stats`` counts it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.telegram import tg_html
from tests.telegram.fake_chats import BOT_USERNAME, TOKEN, FakeChat, FakeChats, command

JSON = dict[str, Any]
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "description",
        "data",
        "file_id",
    }
)


@dataclass
class Sent:
    """One accepted ``sendMessage``."""

    message_id: int
    chat_id: int
    text: str
    """The visible text (after entity parsing)."""
    raw: str
    parse_mode: str | None
    thread_id: int | None
    params: JSON
    links: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)
    document: Upload | None = None
    """The file of a ``sendDocument`` (``text`` is then its caption)."""
    edits: list[str] = field(default_factory=list)
    """The visible texts it was edited to, in order."""

    @property
    def shown(self) -> str:
        """What the chat sees now: the last edit, else the text sent."""
        return self.edits[-1] if self.edits else self.text


@dataclass(frozen=True)
class Upload:
    """A file in a multipart request (``sendDocument``'s ``document``)."""

    filename: str
    data: bytes


@dataclass
class StoredFile:
    """A file a user sent, as the Bot API keeps it (``data`` None: a size without content)."""

    file_id: str
    name: str
    size: int
    data: bytes | None


DOWNLOAD_LIMIT = 20 * 1024 * 1024
"""The largest file a bot may download with ``getFile``."""
CAPTION_LIMIT = 1024


@dataclass
class Limits:
    """Flood control: ``None`` disables a rule; ``integer_retry`` rounds up like Telegram."""

    per_second: int | None = None
    per_chat_interval: float | None = None
    integer_retry: bool = True
    latency: float = 0.0
    """Seconds until an answer (half before the request is counted, half after)."""


@dataclass
class _Scripted:
    method: str
    status: int
    body: JSON
    times: int
    chat_id: int | None


class FakeBotApi:
    """The fake server: start it, register chats, push updates, inspect what was sent."""

    def __init__(self, *, limits: Limits | None = None, token: str = TOKEN) -> None:
        self.token = token
        self.limits = limits or Limits()
        self.chats = FakeChats()
        self.calls: list[tuple[str, JSON]] = []
        self.sent: list[Sent] = []
        self.edited: list[Sent] = []
        """Accepted ``editMessageText`` calls (``message_id`` is the edited message's)."""
        self.deleted: set[int] = set()
        """Message ids a user deleted: editing them is refused."""
        self.flood_refusals = 0
        self.commands: list[JSON] = []
        self.menus: dict[str, list[JSON]] = {}
        """The command menu per ``language_code`` ("" for the default one)."""
        self.webhook: JSON = {}
        self.files: dict[str, StoredFile] = {}
        self.downloads: list[str] = []
        """The ``file_id`` of every file downloaded."""
        self.conflicts = 0
        self.most_polls = 0
        self._polls: list[object] = []
        self._preempted: set[object] = set()
        self._scripted: list[_Scripted] = []
        self._updates: list[JSON] = []
        self._next_update = 1
        self._next_message = 100
        self._window: collections.deque[float] = collections.deque()
        self._last_to_chat: dict[int, float] = {}
        self._penalty_until = 0.0
        self._cond = asyncio.Condition()
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen; returns the base URL (the value of NEWSBRIEF_TELEGRAM_API_URL)."""
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("GET", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._download)
        app.router.add_route("GET", "/_fake/stats", self._stats)
        app.router.add_route("POST", "/_fake/say", self._say)
        app.router.add_route("GET", "/_fake/sent", self._sent)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        """Wake pending long polls, then close."""
        self._closing = True
        async with self._cond:
            self._cond.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting and inspection ----------------------------------------------------------
    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        times: int = 1,
        chat_id: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id``) with an error."""
        body: JSON = {"description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self._scripted.append(_Scripted(method, status, body, times, chat_id))

    def add_document(
        self, data: bytes, name: str = "feeds.opml", *, size: int | None = None
    ) -> JSON:
        """Store a file a user sends; returns its ``Document`` object for an update. With
        ``size`` it is that large without content (a file that must never be downloaded)."""
        file_id = f"doc-{len(self.files) + 1}"
        stated = len(data) if size is None else size
        self.files[file_id] = StoredFile(file_id, name, stated, data if size is None else None)
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "text/x-opml" if name.endswith(".opml") else "application/xml",
            "file_size": stated,
        }

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def attempts(self, method: str, chat_id: int | None = None) -> int:
        """How many times ``method`` was called (for ``chat_id``)."""
        return sum(
            1
            for m, p in self.calls
            if m == method and (chat_id is None or _int(p.get("chat_id")) == chat_id)
        )

    async def wait_until(self, check: Callable[[], bool], within: float = 5.0) -> None:
        """Return as soon as ``check()`` holds; fail after ``within`` seconds."""
        deadline = time.monotonic() + within
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; calls so far: {[m for m, _ in self.calls]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def push(self, update: JSON) -> int:
        """Queue an update for ``getUpdates``; returns its ``update_id``."""
        async with self._cond:
            update = {"update_id": self._next_update, **update}
            self._next_update += 1
            self._updates.append(update)
            self._cond.notify_all()
        return int(update["update_id"])

    async def _stats(self, request: web.Request) -> web.Response:
        """What a benchmark in another process needs to know."""
        per_chat = collections.Counter(m.chat_id for m in self.sent)
        times = [m.at for m in self.sent]
        gaps = [b - a for a, b in itertools.pairwise(times) if b - a > 0.2]
        return web.json_response(
            {
                "sent": len(self.sent),
                "first_to_last": round(times[-1] - times[0], 3) if times else 0,
                "gaps_over_200ms": len(gaps),
                "gap_seconds": round(sum(gaps), 3),
                "chats": len(per_chat),
                "duplicates": sum(n - 1 for n in per_chat.values()),
                "flood_refusals": self.flood_refusals,
                "send_calls": self.attempts("sendMessage"),
                "get_updates": self.attempts("getUpdates"),
                "conflicts": self.conflicts,
                "most_polls": self.most_polls,
            }
        )

    async def _say(self, request: web.Request) -> web.Response:
        """For trying a real bot by hand: ``POST chat_id=4242 text=/help`` as that user."""
        form = await request.post()
        chat_id = int(str(form["chat_id"]))
        chat = self.chats.find(chat_id) or self.chats.add(FakeChat(chat_id))
        sender = _int(form.get("from")) if chat.type != "private" else None
        update_id = await self.push(command(chat, str(form["text"]), sender=sender))
        return web.json_response({"update_id": update_id})

    async def _sent(self, request: web.Request) -> web.Response:
        """Every accepted message: chat, topic and visible text."""
        return web.json_response(
            [{"chat_id": m.chat_id, "thread_id": m.thread_id, "text": m.text} for m in self.sent]
        )

    # -- protocol --------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append((method, params))
        self._changed.set()
        chat_id = _int(params.get("chat_id"))
        for rule in self._scripted:
            if rule.method == method and rule.chat_id in (None, chat_id):
                rule.times -= 1
                if rule.times <= 0:
                    self._scripted.remove(rule)
                if rule.status == 429:
                    self.flood_refusals += 1
                return web.json_response(
                    {"ok": False, "error_code": rule.status, **rule.body}, status=rule.status
                )
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        delay = self.limits.latency / 2 if method != "getUpdates" else 0.0
        if delay:
            await asyncio.sleep(delay)
        response: web.Response = await handler(params)
        self._changed.set()
        if delay:
            await asyncio.sleep(delay)
        return response

    async def _m_getMe(self, p: JSON) -> web.Response:
        return _ok(
            {
                "id": int(self.token.split(":")[0]),  # a token starts with its bot's id
                "is_bot": True,
                "first_name": "Newsbrief",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _m_setMyCommands(self, p: JSON) -> web.Response:
        menu = list(p.get("commands") or [])
        self.menus[str(p.get("language_code") or "")] = menu
        if not p.get("language_code"):
            self.commands = menu
        return _ok(True)

    async def _m_getMyCommands(self, p: JSON) -> web.Response:
        return _ok(self.menus.get(str(p.get("language_code") or ""), []))

    async def _m_deleteWebhook(self, p: JSON) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _m_setWebhook(self, p: JSON) -> web.Response:
        self.webhook = dict(p)
        return _ok(True)

    async def _m_getWebhookInfo(self, p: JSON) -> web.Response:
        url = self.webhook.get("url", "")
        return _ok({"url": url, "has_custom_certificate": False, "pending_update_count": 0})

    async def _m_getUpdates(self, p: JSON) -> web.Response:
        offset = _int(p.get("offset")) or 0
        timeout = float(p.get("timeout") or 0)
        limit = _int(p.get("limit")) or 100
        me = object()
        async with self._cond:
            if self._polls:  # Telegram ends the poll already waiting
                self._preempted.update(self._polls)
                self._cond.notify_all()
            self._polls.append(me)
            self.most_polls = max(self.most_polls, len(self._polls))
            try:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if not self._updates and timeout > 0 and not self._closing:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._cond.wait_for(
                                lambda: (
                                    bool(self._updates) or self._closing or me in self._preempted
                                )
                            ),
                            timeout,
                        )
            finally:
                self._polls.remove(me)
            if me in self._preempted:
                self._preempted.discard(me)
                self.conflicts += 1
                return _error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one"
                    " bot instance is running",
                )
            return _ok(self._updates[:limit])

    async def _m_sendMessage(self, p: JSON) -> web.Response:
        chat, refusal = self.chats.reachable(p.get("chat_id"))
        if chat is None:
            return refusal
        thread = _int(p.get("message_thread_id"))
        if thread and (not chat.is_forum or thread not in chat.topics):
            return _error(400, "Bad Request: message thread not found")
        raw = str(p.get("text", ""))
        mode = p.get("parse_mode")
        links: list[str] = []
        try:
            visible, links, _ = tg_html.parse(raw) if mode == "HTML" else (raw, [], [])
        except tg_html.EntityError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
        if not visible.strip():
            return _error(400, "Bad Request: message text is empty")
        if tg_html.utf16_len(visible) > 4096:
            return _error(400, "Bad Request: message is too long")
        flood = self._flood(chat.id)
        if flood is not None:
            return flood
        self._next_message += 1
        self.sent.append(Sent(self._next_message, chat.id, visible, raw, mode, thread, p, links))
        return _ok(self.chats.message(chat, self._next_message, visible, thread, p))

    def _flood(self, chat_id: int) -> web.Response | None:
        now = time.monotonic()
        wait = max(0.0, self._penalty_until - now)
        if self.limits.per_second is not None:
            while self._window and now - self._window[0] >= 1.0:
                self._window.popleft()
            if not wait and len(self._window) >= self.limits.per_second:
                wait = 1.0 - (now - self._window[0])
                # The penalty: every chat waits out the retry_after, as with Telegram.
                penalty = max(1, math.ceil(wait)) if self.limits.integer_retry else wait
                self._penalty_until = now + penalty
        last = self._last_to_chat.get(chat_id)
        interval = self.limits.per_chat_interval
        if interval is not None and last is not None and now - last < interval:
            wait = max(wait, interval - (now - last))
        if wait > 0:
            self.flood_refusals += 1
            retry = max(1, math.ceil(wait)) if self.limits.integer_retry else round(wait, 3)
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                },
                status=429,
            )
        self._window.append(now)
        self._last_to_chat[chat_id] = now
        return None

    async def _m_sendDocument(self, p: JSON) -> web.Response:
        chat, refusal = self.chats.reachable(p.get("chat_id"))
        if chat is None:
            return refusal
        thread = _int(p.get("message_thread_id"))
        if thread and (not chat.is_forum or thread not in chat.topics):
            return _error(400, "Bad Request: message thread not found")
        document = p.get("document")
        if not isinstance(document, Upload):
            return _error(400, "Bad Request: there is no document in the request")
        if not document.data:
            return _error(400, "Bad Request: file must be non-empty")
        raw = str(p.get("caption", ""))
        mode = p.get("parse_mode")
        try:
            visible, links, _ = tg_html.parse(raw) if mode == "HTML" else (raw, [], [])
        except tg_html.EntityError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
        if tg_html.utf16_len(visible) > CAPTION_LIMIT:
            return _error(400, "Bad Request: message caption is too long")
        flood = self._flood(chat.id)
        if flood is not None:
            return flood
        self._next_message += 1
        sent = Sent(
            self._next_message, chat.id, visible, raw, mode, thread, p, links, document=document
        )
        self.sent.append(sent)
        message = self.chats.message(chat, self._next_message, "", thread, p)
        del message["text"]
        message["caption"] = visible
        message["document"] = {
            "file_id": f"out-{self._next_message}",
            "file_unique_id": f"uout-{self._next_message}",
            "file_name": document.filename,
            "file_size": len(document.data),
        }
        return _ok(message)

    async def _m_editMessageText(self, p: JSON) -> web.Response:
        chat, refusal = self.chats.reachable(p.get("chat_id"))
        if chat is None:
            return refusal
        message_id = _int(p.get("message_id"))
        target = next(
            (m for m in self.sent if m.chat_id == chat.id and m.message_id == message_id), None
        )
        if target is None or target.document is not None or message_id in self.deleted:
            return _error(400, "Bad Request: message to edit not found")
        raw = str(p.get("text", ""))
        mode = p.get("parse_mode")
        try:
            visible, links, _ = tg_html.parse(raw) if mode == "HTML" else (raw, [], [])
        except tg_html.EntityError as exc:
            return _error(400, f"Bad Request: can't parse entities: {exc}")
        if not visible.strip():
            return _error(400, "Bad Request: message text is empty")
        if tg_html.utf16_len(visible) > 4096:
            return _error(400, "Bad Request: message is too long")
        if visible == target.shown:
            return _error(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        flood = self._flood(chat.id)
        if flood is not None:
            return flood
        target.edits.append(visible)
        self.edited.append(Sent(message_id, chat.id, visible, raw, mode, None, p, links))
        message = self.chats.message(chat, target.message_id, visible, target.thread_id, p)
        return _ok(message | {"edit_date": int(time.time())})

    async def _m_getFile(self, p: JSON) -> web.Response:
        stored = self.files.get(str(p.get("file_id")))
        if stored is None:
            return _error(400, "Bad Request: invalid file_id")
        if stored.size > DOWNLOAD_LIMIT:
            return _error(400, "Bad Request: file is too big")
        return _ok(
            {
                "file_id": stored.file_id,
                "file_unique_id": f"u{stored.file_id}",
                "file_size": stored.size,
                "file_path": f"documents/{stored.file_id}_{stored.name}",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.match_info["path"]
        stored = next(
            (f for f in self.files.values() if path == f"documents/{f.file_id}_{f.name}"), None
        )
        if stored is None or stored.data is None:
            return _error(404, "Not Found")
        self.downloads.append(stored.file_id)
        self._changed.set()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _m_editMessageReplyMarkup(self, p: JSON) -> web.Response:
        return _ok(True)

    async def _m_answerCallbackQuery(self, p: JSON) -> web.Response:
        return _ok(True)

    async def _m_getChat(self, p: JSON) -> web.Response:
        chat = self.chats.find(p.get("chat_id"))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        return _ok(self.chats.full_info(chat))

    async def _m_getChatMember(self, p: JSON) -> web.Response:
        chat = self.chats.find(p.get("chat_id"))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        return _ok(self.chats.member(chat, _int(p.get("user_id")) or 0))

    async def _m_getChatAdministrators(self, p: JSON) -> web.Response:
        chat = self.chats.find(p.get("chat_id"))
        if chat is None:
            return _error(400, "Bad Request: chat not found")
        return _ok([self.chats.member(chat, uid) for uid in sorted(chat.admins)])


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": status, "description": description}, status=status
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


async def _params(request: web.Request) -> JSON:
    """PTB posts form fields, JSON-encoding every non-string value; others may post JSON."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.can_read_body:
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.file.read())
                continue
            if not isinstance(value, str):
                continue
            if key in _STRING_PARAMS:
                params[key] = value
                continue
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params


async def _serve(port: int, limits: Limits) -> None:
    fake = FakeBotApi(limits=limits)
    url = await fake.start(port=port)
    print(f"fake Bot API at {url} (token {TOKEN}); Ctrl-C stops it", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main() -> None:
    """``python -m tests.telegram.fake_bot_api [--port N] [--per-second 30 --per-chat 1]
    [--latency-ms 100]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--per-second", type=int, default=None)
    parser.add_argument("--per-chat", type=float, default=None)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    limits = Limits(
        per_second=args.per_second,
        per_chat_interval=args.per_chat,
        latency=args.latency_ms / 1000,
    )
    asyncio.run(_serve(args.port, limits))


if __name__ == "__main__":
    main()
