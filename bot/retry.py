"""Start-up retries: a service that is not up yet (the database, the Telegram or Discord API)
is tried again with back-off for a bounded time before newsbrief gives up with one message.

Back-off: 0.5 s, doubling up to 5 s, never past the deadline. The first retry is logged once
at INFO; the caller turns the last failure into a ``StartupError`` that says what was tried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_DELAY_SECONDS = 0.5
MOST_DELAY_SECONDS = 5.0


async def retrying(
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: tuple[type[BaseException], ...],
    timeout_seconds: float,
    what: str,
    sleep: Callable[[float], object] = asyncio.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> T:
    """``await attempt()`` until it succeeds; a ``transient`` failure is retried until
    ``timeout_seconds`` have passed, then re-raised, as is any other failure at once.
    ``what`` names the service in the one log line (``database at ...``)."""
    deadline = monotonic() + timeout_seconds
    delay = FIRST_DELAY_SECONDS
    told = False
    while True:
        try:
            return await attempt()
        except transient as exc:
            left = deadline - monotonic()
            if left <= 0:
                raise
            if not told:
                logger.info(
                    "%s not reachable yet (%s); retrying for up to %g s",
                    what,
                    error_reason(exc),
                    timeout_seconds,
                )
                told = True
            pause = sleep(min(delay, left))
            if asyncio.iscoroutine(pause) or isinstance(pause, asyncio.Future):
                await pause
            delay = min(delay * 2, MOST_DELAY_SECONDS)


def error_reason(exc: BaseException) -> str:
    """``Type: first line`` of ``exc`` (of the driver's error a SQLAlchemy error wraps)."""
    orig = getattr(exc, "orig", None)
    inner = orig if isinstance(orig, BaseException) else exc
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__
