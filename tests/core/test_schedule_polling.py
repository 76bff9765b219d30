"""Poll-interval arithmetic: adaptive intervals, failure and host back-off, header hints."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

from bot.core import schedule
from bot.feeds.headers import cache_lifetime, retry_after_seconds

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FLOOR, CEILING = 600, 21600


def test_busy_feeds_go_down_to_the_floor_and_no_further() -> None:
    interval = 4800
    for expected in (2400, 1200, 600, 600):
        interval = schedule.next_interval(interval, floor=FLOOR, ceiling=CEILING, new_items=3)
        assert interval == expected


def test_quiet_feeds_drift_up_to_the_ceiling() -> None:
    interval: int | None = None
    seen = []
    for _ in range(20):
        interval = schedule.next_interval(interval, floor=FLOOR, ceiling=CEILING, new_items=0)
        seen.append(interval)
    assert seen[:4] == [600, 750, 938, 1173]  # rounded up
    assert seen == sorted(seen) and seen[-1] == CEILING


def test_a_one_or_two_second_floor_still_grows() -> None:
    for floor in (1, 2):
        seen = [floor]
        for _ in range(12):
            seen.append(schedule.next_interval(seen[-1], floor=floor, ceiling=60, new_items=0))
        assert all(b > a for a, b in itertools.pairwise(seen))  # round(2*1.25) == 2
        assert seen[:5] == ([1, 2, 3, 4, 5] if floor == 1 else [2, 3, 4, 5, 7])


def test_feed_hints_are_a_lower_bound_up_to_the_ceiling() -> None:
    busy = schedule.next_interval(600, floor=FLOOR, ceiling=CEILING, new_items=5, hint=900)
    assert busy == 900  # BBC's <ttl>15: never faster than asked
    huge = schedule.next_interval(600, floor=FLOOR, ceiling=CEILING, new_items=5, hint=10**7)
    assert huge == CEILING
    assert schedule.next_interval(None, floor=FLOOR, ceiling=CEILING, new_items=1, hint=60) == FLOOR


def test_ceiling_below_floor_means_the_floor() -> None:
    assert schedule.next_interval(None, floor=900, ceiling=300, new_items=0) == 900


def test_failure_backoff_doubles_and_is_capped_at_a_day() -> None:
    rng = random.Random(1)
    base = timedelta(minutes=10)
    delays = [schedule.failure_backoff(n, base, rng=rng) for n in range(1, 12)]
    assert timedelta(minutes=20) <= delays[0] <= timedelta(minutes=22)
    assert timedelta(minutes=40) <= delays[1] <= timedelta(minutes=44)
    assert max(delays) == timedelta(days=1) == delays[-1]


def test_host_backoff_has_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    first = [schedule.host_backoff(1, rng=rng) for _ in range(50)]
    assert all(timedelta(minutes=1) <= d <= timedelta(minutes=1.25) for d in first)
    assert len(set(first)) > 40  # spread, so a host's feeds do not return together
    assert schedule.host_backoff(30, rng=rng) <= timedelta(hours=1.25)


def test_retry_after_is_clamped() -> None:
    assert schedule.clamp_retry_after(0) == timedelta(seconds=1)
    assert schedule.clamp_retry_after(10**9) == timedelta(days=1)


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds("120", NOW) == 120
    assert retry_after_seconds("Sun, 01 Mar 2026 12:05:00 GMT", NOW) == 300
    assert retry_after_seconds("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0  # in the past
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_cache_lifetime_from_headers() -> None:
    assert cache_lifetime({"cache-control": "public, max-age=900"}, NOW) == 900
    assert cache_lifetime({"cache-control": "no-cache, max-age=900"}, NOW) is None
    expires = {"expires": "Sun, 01 Mar 2026 12:30:00 GMT", "date": "Sun, 01 Mar 2026 12:00:00 GMT"}
    assert cache_lifetime(expires, NOW) == 1800
    skewed = {"expires": "Sun, 01 Mar 2026 13:30:00 GMT", "date": "Sun, 01 Mar 2026 13:00:00 GMT"}
    assert cache_lifetime(skewed, NOW) == 1800  # relative to the server's own Date
    assert cache_lifetime({"expires": "0"}, NOW) is None
    assert cache_lifetime({}, NOW) is None
