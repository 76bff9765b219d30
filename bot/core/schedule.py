"""Pure time arithmetic: poll intervals, back-off, digest times, human-readable durations.

Nothing here reads a clock: every function takes ``now``.
"""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import UserInputError
from bot.core.i18n import _

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
        interval = floor
    elif new_items > 0:
        interval = min(max(round(previous * BUSY_FACTOR), floor), ceiling)
    else:
        # Rounded up, so that a short interval grows too (round(2 * 1.25) would stay 2).
        interval = min(max(math.ceil(previous * QUIET_FACTOR), floor), ceiling)
    if hint:
        interval = max(interval, min(hint, ceiling))
    return interval


def parse_times(text: str) -> tuple[str, ...]:
    """Parse ``08:00`` or ``08:00,18:30`` into sorted, de-duplicated ``HH:MM`` strings."""
    out: set[str] = set()
    for part in text.split(","):
        match = _TIME.match(part.strip())
        if not match:
            raise UserInputError(
                _(
                    '"{text}" is not a time. Use 24-hour HH:MM, e.g. /digest 08:00 or '
                    "/digest 07:30,19:00 Europe/Kyiv.",
                    text=part.strip(),
                )
            )
        out.add(f"{int(match.group(1)):02d}:{match.group(2)}")
    return tuple(sorted(out))


MAX_TIMEZONE_CHARS = 64
"""IANA names are at most 32 characters today; longer input is refused before any lookup
(a very long name made ``ZoneInfo`` raise ``OSError: File name too long``)."""


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone, else raise ``UserInputError``."""
    problem = UserInputError(
        _(
            '"{name}" is not a time zone. Use an IANA name such as '
            "Europe/Kyiv, America/New_York or UTC.",
            name=name[:MAX_TIMEZONE_CHARS],
        )
    )
    if len(name) > MAX_TIMEZONE_CHARS:
        raise problem
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise problem from exc
    return name


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return _("{n} s", n=seconds)
    if seconds < 3600:
        return _("{n} min", n=seconds // 60)
    if seconds < 86400:
        return _("{n} h", n=seconds // 3600)
    return _("{n} d", n=seconds // 86400)


def ago(when: datetime, now: datetime) -> str:
    """``"2 h ago"``; ``"just now"`` under a minute."""
    if now - when < timedelta(minutes=1):
        return _("just now")
    return _("{span} ago", span=_span(now - when))


def until(when: datetime, now: datetime) -> str:
    """``"in 5 min"``; ``"now"`` when the time has come."""
    if when <= now:
        return _("now")
    return _("in {span}", span=_span(when - now))


# -- digests and quiet hours (delivery) ----------------------------------------------------
#
# Local wall-clock times are turned into instants with zoneinfo. Across a DST change a local
# time can be missing (spring forward: 02:30 does not exist) or happen twice (fall back). A
# missing time is read with the offset before the change, which lands just after the gap
# (02:30 -> 03:30 on the spring-forward day); a repeated time counts once, at its first
# occurrence (``fold=0``). A digest therefore happens exactly once on every local day.

_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def _hm(text: str) -> tuple[int, int]:
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def _local_instants(times: tuple[str, ...], zone: ZoneInfo, day: date) -> list[datetime]:
    """The instants (UTC) of ``times`` on local ``day``, normalised through UTC."""
    out = []
    for text in times:
        hours, minutes = _hm(text)
        wall = datetime.combine(day, dt_time(hours, minutes), tzinfo=zone)
        out.append(wall.astimezone(UTC))
    return sorted(out)


def next_digest_time(now: datetime, times: tuple[str, ...], timezone: str) -> datetime:
    """The first digest instant strictly after ``now`` (UTC), for ``HH:MM`` times in a zone.

    Raises:
        ValueError: ``times`` is empty.
    """
    if not times:
        raise ValueError("no digest times")
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    for offset in range(3):
        for instant in _local_instants(times, zone, today + timedelta(days=offset)):
            if instant > now:
                return instant
    raise AssertionError("unreachable: a digest time occurs every day")


def previous_digest_time(now: datetime, times: tuple[str, ...], timezone: str) -> datetime:
    """The last digest instant at or before ``now`` (UTC).

    Raises:
        ValueError: ``times`` is empty.
    """
    if not times:
        raise ValueError("no digest times")
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    for offset in range(3):
        for instant in reversed(_local_instants(times, zone, today - timedelta(days=offset))):
            if instant <= now:
                return instant
    raise AssertionError("unreachable: a digest time occurs every day")


def parse_quiet(text: str) -> tuple[str, str]:
    """Parse ``22:00-07:00`` into ``("22:00", "07:00")`` or raise ``UserInputError``."""
    match = _RANGE.match(text)
    if not match:
        raise UserInputError(
            _(
                '"{text}" is not a time range. Use HH:MM-HH:MM, e.g. /quiet 22:00-07:00 '
                "or /quiet 23:30-06:30 Europe/Kyiv.",
                text=text.strip(),
            )
        )
    (start,) = parse_times(match.group(1))
    (end,) = parse_times(match.group(2))
    if start == end:
        raise UserInputError(_("Quiet hours must start and end at different times."))
    return start, end


def quiet_until(now: datetime, start: str, end: str, timezone: str) -> datetime | None:
    """When the quiet hours around ``now`` end (UTC), or ``None`` when ``now`` is not quiet.

    Quiet hours are the local interval ``[start, end)``; ``start > end`` wraps past midnight
    (``22:00-07:00``). The end is the next local ``end`` after ``now``, converted with the
    zone's offset on that day (so it follows DST changes).
    """
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    minute = local.hour * 60 + local.minute
    s_h, s_m = _hm(start)
    e_h, e_m = _hm(end)
    begin, finish = s_h * 60 + s_m, e_h * 60 + e_m
    quiet = begin <= minute < finish if begin < finish else minute >= begin or minute < finish
    if not quiet:
        return None
    return next_digest_time(now, (end,), timezone)


def local_time(when: datetime, timezone: str) -> str:
    """``HH:MM`` of an instant in a zone (for digest headings and notices)."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
