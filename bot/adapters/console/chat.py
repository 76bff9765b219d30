"""The console chat: commands from standard input, replies and briefs on standard output.

Input is read by a daemon thread (so a blocked ``readline`` never delays shutdown) and handed to
the event loop through a queue. It works with piped, non-interactive input: when the input ends
the bot keeps running and printing briefs until SIGINT or SIGTERM. Everything it prints goes
through one lock so that briefs and replies never interleave mid-line. A line without the
leading slash is taken as a command too (``help``). The console's user owns its chat: every
command is open to them, and a pending notice is printed before the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.core import briefs as brief_text
from bot.core.command_parse import parse
from bot.core.commands import Commands
from bot.core.errors import MessageGone
from bot.core.i18n import N_, _, using
from bot.core.models import Brief, ChatRef, Platform, Reply, ReplyKind
from bot.core.ports import Clock, Pace

logger = logging.getLogger(__name__)

CONSOLE_CHAT = ChatRef(Platform.CONSOLE, "console")
SORRY = N_("Sorry, something went wrong on my side. Please try again in a minute.")


async def _owner() -> bool:
    return True


class ConsoleNotifier:
    """Prints briefs, digests and notices as plain text (docs/delivery.md), a blank line between."""

    platform = Platform.CONSOLE
    pace = Pace(per_chat_interval=0.0, per_second=1000.0)

    def __init__(self, out: TextIO, clock: Clock) -> None:
        self._out = out
        self._clock = clock
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        """Print one block followed by a blank line."""
        with self._lock:
            self._out.write(text.rstrip("\n") + "\n\n")
            self._out.flush()

    async def send_brief(
        self, chat: ChatRef, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        """Printed: no message id, so no edit is ever asked for."""
        self.write(brief_text.plain(brief, self._clock.now(), alert_terms=alert_terms))

    async def edit_brief(
        self, chat: ChatRef, message_id: str, brief: Brief, *, alert_terms: Sequence[str] = ()
    ) -> None:
        raise MessageGone("printed lines cannot be edited")

    async def send_digest(self, chat: ChatRef, heading: str, briefs: Sequence[Brief]) -> None:
        lines = [heading]
        lines += [f"- {b.title}: {brief_text.first_sentence(b.summary)} {b.link}" for b in briefs]
        self.write("\n".join(lines))

    async def send_text(self, chat: ChatRef, text: str) -> None:
        self.write(text)

    def reply(self, reply: Reply) -> None:
        """Print a command's reply and the briefs it carries."""
        now = self._clock.now()
        self.write(reply.text)
        for brief in reply.briefs:
            self.write(brief_text.plain(brief, now))
        if reply.document is not None:  # the console has no files: the file is printed
            self.write(f"--- {reply.document.name} ---\n{reply.document.data.decode()}")
        for brief in reply.related:
            self.write(brief_text.plain(brief, now, related=True))


class ConsoleAdapter:
    """Reads commands from ``stdin`` and answers on ``stdout``."""

    ready = True
    """Always connected (``/readyz``)."""

    def __init__(
        self, commands: Commands, stdin: TextIO, stdout: TextIO, clock: Clock, *, prompt: bool
    ) -> None:
        self._commands = commands
        self._stdin = stdin
        self.notifier = ConsoleNotifier(stdout, clock)
        self._prompt = prompt
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start reading input; returns at once."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def feed(line: str | None) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, line)

        threading.Thread(target=self._read, args=(feed,), name="console-input", daemon=True).start()
        self._task = asyncio.create_task(self._serve(queue), name="console-chat")
        if self._prompt:
            self.notifier.write("newsbrief console chat. Type /help (Ctrl-C quits).")

    def _read(self, feed: Callable[[str | None], None]) -> None:
        try:
            for line in self._stdin:
                feed(line)
        except (OSError, ValueError) as exc:  # stdin closed under us
            logger.debug("console input ended: %s", exc)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                feed(None)

    async def _serve(self, queue: asyncio.Queue[str | None]) -> None:
        while (line := await queue.get()) is not None:
            text = line.strip()
            if not text:
                continue
            if not text.startswith("/"):
                text = "/" + text
            try:
                await self._run(text)
            except Exception:
                logger.exception("console command %r failed", text)
                self.notifier.reply(Reply(await self._sorry(), ReplyKind.ERROR))
        logger.info("console input ended; still delivering briefs until interrupted")

    async def _sorry(self) -> str:
        """The apology in the chat's language; in English when even that cannot be read."""
        try:
            language = await self._commands.speaks(CONSOLE_CHAT)
        except Exception:  # the database that failed the command may fail this too
            return SORRY
        with using(language):
            return _(SORRY)

    async def _run(self, text: str) -> None:
        """Parse and run one line in the chat's language (``/language``; English by default);
        the console's user owns its chat (an administrator)."""
        with using(await self._commands.speaks(CONSOLE_CHAT)):
            call = parse(text)
            if isinstance(call, Reply):
                self.notifier.reply(call)
            elif call is not None:
                answer = await self._commands.run(CONSOLE_CHAT, call, admin=_owner)
                if answer.notice:
                    self.notifier.write(answer.notice)
                self.notifier.reply(answer.reply)

    async def stop(self) -> None:
        """Stop serving commands."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
