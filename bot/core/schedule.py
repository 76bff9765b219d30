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
HOST_BACKOFF_BASE = timedelta(minutes=1)
HOST_BACKOFF_MAX = timedelta(hours=1)
BUSY_FACTOR = 0.5
QUIET_FACTOR = 1.25
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


def host_backoff(strikes: int, *, rng: random.Random | None = None) -> timedelta:
    """How long to leave a host alone after its ``strikes``-th 429/503 without ``Retry-After``.

    One minute, doubling per strike, capped at one hour, with up to 25% jitter so that the
    feeds of one host do not all come back in the same second.
    """
    delay = min(HOST_BACKOFF_BASE * (1 << min(max(strikes, 1) - 1, 20)), HOST_BACKOFF_MAX)
    return delay * (1 + (rng or random).uniform(0, 0.25))


def clamp_retry_after(seconds: float) -> timedelta:
    """A host's ``Retry-After`` bounded to [1 s, 1 day]: honoured, but never absurd."""
    return timedelta(seconds=min(max(seconds, 1.0), MAX_BACKOFF.total_seconds()))


def next_interval(
    previous: int | None,
    *,
    floor: int,
    ceiling: int,
    new_items: int,
    hint: int | None = None,
) -> int:
    """The next poll interval of a feed that answered (200 or 304), in seconds.

    Multiplicative: a poll that brought new items halves the interval (busy feeds go down
    to ``floor``, the operator's shortest interval); a poll that brought nothing stretches it
    by a quarter (quiet feeds drift up to ``ceiling``). The feed's own request (``hint``:
    ``<ttl>``, ``Cache-Control: max-age``, ``Expires``, ``sy:updatePeriod``) is a lower bound,
    honoured up to ``ceiling``. The result is never below ``floor``.

    Args:
        previous: the interval used so far; None for a feed's first poll (then ``floor``).
        floor: shortest interval (``NEWSBRIEF_POLL_INTERVAL_SECONDS``).
        ceiling: longest interval (``NEWSBRIEF_MAX_POLL_INTERVAL_SECONDS``).
        new_items: entries this poll found that the feed had not carried before.
        hint: the shortest interval the feed asked for, if any.
    """
    ceiling = max(ceiling, floor)
    if previous is None:  # a first poll says nothing yet about how often the feed changes
        interval = float(floor)
    else:
        factor = BUSY_FACTOR if new_items > 0 else QUIET_FACTOR
        interval = min(max(previous * factor, floor), ceiling)
    if hint:
        interval = max(interval, min(hint, ceiling))
    return round(interval)


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
