"""Reading the HTTP response headers that steer polling: ``Retry-After`` and cache lifetime.

All functions take the header values as strings and ``now`` (timezone-aware UTC), and return
seconds or None when the header is absent or unusable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110: IMF-fixdate, RFC 850 or asctime) as aware UTC, else None."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    when = http_date(text)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


def cache_lifetime(headers: Mapping[str, str], now: datetime) -> int | None:
    """How long the response says it stays fresh: ``Cache-Control: max-age``, else ``Expires``.

    ``no-cache``/``no-store`` give None (no hint, not "poll constantly"). ``Expires`` is taken
    relative to the response's own ``Date`` when present, so clock skew does not count.
    """
    control = headers.get("cache-control", "")
    if re.search(r"no-(cache|store)", control, re.IGNORECASE):
        return None
    match = _MAX_AGE.search(control)
    if match:
        return int(match.group(1)) or None
    expires = http_date(headers.get("expires"))
    if expires is None:
        return None
    base = http_date(headers.get("date")) or now
    seconds = int((expires - base).total_seconds())
    return seconds if seconds > 0 else None
