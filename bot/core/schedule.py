"""Pure time arithmetic: poll intervals, back-off, digest times, human-readable durations.

Nothing here reads a clock: every function takes ``now``.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import UserInputError

MAX_BACKOFF = timedelta(days=1)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def failure_backoff(
    failures: int, base: timedelta, *, rng: random.Random | None = None
) -> timedelta:
    """Delay before re-polling a feed after ``failures`` consecutive failures.

    Exponential from ``base`` (doubling per failure), capped at one day, with up to 10% jitter
    so that feeds failing together do not retry together.
    """
    if failures <= 0:
        return base
    delay = min(base * (1 << min(failures, 20)), MAX_BACKOFF)
    jitter: float = (rng or random).uniform(0, 0.1)
    return min(delay * (1 + jitter), MAX_BACKOFF)


def parse_times(text: str) -> tuple[str, ...]:
    """Parse ``08:00`` or ``08:00,18:30`` into sorted, de-duplicated ``HH:MM`` strings."""
    out: set[str] = set()
    for part in text.split(","):
        match = _TIME.match(part.strip())
        if not match:
            raise UserInputError(
                f'"{part.strip()}" is not a time. Use 24-hour HH:MM, e.g. /digest 08:00 or '
                "/digest 07:30,19:00 Europe/Kyiv."
            )
        out.add(f"{int(match.group(1)):02d}:{match.group(2)}")
    return tuple(sorted(out))


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise ``UserInputError``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserInputError(
            f'"{name}" is not a time zone. Use an IANA name such as Europe/Kyiv, '
            "America/New_York or UTC."
        ) from exc
    return name


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def ago(when: datetime, now: datetime) -> str:
    """``"2 h ago"``; ``"just now"`` under a minute."""
    if now - when < timedelta(minutes=1):
        return "just now"
    return f"{_span(now - when)} ago"


def until(when: datetime, now: datetime) -> str:
    """``"in 5 min"``; ``"now"`` when the time has come."""
    if when <= now:
        return "now"
    return f"in {_span(when - now)}"
