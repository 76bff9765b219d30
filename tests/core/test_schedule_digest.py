"""Digest times and quiet hours across time zones and DST changes (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core import schedule
from bot.core.errors import UserInputError


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_next_digest_is_later_today_or_tomorrow_in_the_chat_zone() -> None:
    # 05:30 UTC = 07:30 in Kyiv (UTC+2 in winter).
    now = utc(2026, 1, 15, 5, 30)
    assert schedule.next_digest_time(now, ("08:00",), "Europe/Kyiv") == utc(2026, 1, 15, 6, 0)
    assert schedule.next_digest_time(now, ("07:00",), "Europe/Kyiv") == utc(2026, 1, 16, 5, 0)


def test_several_digests_a_day_pick_the_next_one() -> None:
    now = utc(2026, 1, 15, 12, 0)
    times = ("08:00", "18:30")
    assert schedule.next_digest_time(now, times, "UTC") == utc(2026, 1, 15, 18, 30)
    assert schedule.previous_digest_time(now, times, "UTC") == utc(2026, 1, 15, 8, 0)
    assert schedule.previous_digest_time(utc(2026, 1, 15, 7, 0), times, "UTC") == utc(
        2026, 1, 14, 18, 30
    )


def test_a_digest_time_equal_to_now_is_the_previous_not_the_next() -> None:
    now = utc(2026, 1, 15, 8, 0)
    assert schedule.previous_digest_time(now, ("08:00",), "UTC") == now
    assert schedule.next_digest_time(now, ("08:00",), "UTC") == utc(2026, 1, 16, 8, 0)


def test_zone_ahead_of_utc_crosses_the_date_line() -> None:
    # 20:00 UTC on the 15th is 09:00 on the 16th in Auckland (UTC+13 in summer).
    now = utc(2026, 1, 15, 20, 0)
    assert schedule.next_digest_time(now, ("08:00",), "Pacific/Auckland") == utc(2026, 1, 16, 19, 0)
    assert schedule.previous_digest_time(now, ("08:00",), "Pacific/Auckland") == utc(
        2026, 1, 15, 19, 0
    )


def test_digest_follows_the_wall_clock_across_spring_forward() -> None:
    # Europe/Kyiv moves from UTC+2 to UTC+3 on 2026-03-29 at 03:00 local.
    before = schedule.next_digest_time(utc(2026, 3, 28, 7, 0), ("08:00",), "Europe/Kyiv")
    after = schedule.next_digest_time(before, ("08:00",), "Europe/Kyiv")
    assert before == utc(2026, 3, 29, 5, 0)  # 08:00 EEST
    assert after == utc(2026, 3, 30, 5, 0)
    assert schedule.next_digest_time(utc(2026, 3, 27, 7, 0), ("08:00",), "Europe/Kyiv") == utc(
        2026, 3, 28, 6, 0
    )  # 08:00 EET, the day before


def test_a_time_missing_on_the_spring_forward_day_happens_just_after_the_gap() -> None:
    # New York skips 02:00-03:00 on 2026-03-08: a 02:30 digest comes at 03:30 EDT that day.
    now = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    got = schedule.next_digest_time(now, ("02:30",), "America/New_York")
    assert got == utc(2026, 3, 8, 7, 30)
    assert schedule.local_time(got, "America/New_York") == "03:30"
    assert schedule.next_digest_time(got, ("02:30",), "America/New_York") == utc(2026, 3, 9, 6, 30)


def test_a_repeated_time_on_the_fall_back_day_happens_once() -> None:
    # New York repeats 01:00-02:00 on 2026-11-01; a 01:30 digest comes once, the first time.
    now = utc(2026, 11, 1, 4, 0)  # 00:00 EDT
    first = schedule.next_digest_time(now, ("01:30",), "America/New_York")
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert schedule.next_digest_time(first, ("01:30",), "America/New_York") == utc(
        2026, 11, 2, 6, 30
    )


def test_every_local_day_has_exactly_one_digest_through_a_dst_change() -> None:
    now, seen = utc(2026, 3, 25, 0, 0), []
    for _ in range(10):
        now = schedule.next_digest_time(now, ("02:30",), "Europe/London")
        seen.append(now.astimezone(ZoneInfo("Europe/London")).date())
    assert len(set(seen)) == 10 and (seen[-1] - seen[0]).days == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [("22:00-07:00", ("22:00", "07:00")), (" 9:05 - 17:30 ", ("09:05", "17:30"))],
)
def test_parse_quiet(text: str, expected: tuple[str, str]) -> None:
    assert schedule.parse_quiet(text) == expected


@pytest.mark.parametrize("text", ["22:00", "22-07", "25:00-07:00", "07:00-07:00", "night"])
def test_parse_quiet_rejects_with_an_example(text: str) -> None:
    with pytest.raises(UserInputError, match=r"\d\d:\d\d|different"):
        schedule.parse_quiet(text)


def test_quiet_hours_wrapping_midnight() -> None:
    zone = "Europe/Berlin"  # UTC+1 in January
    assert schedule.quiet_until(utc(2026, 1, 15, 21, 30), "22:00", "07:00", zone) == utc(
        2026, 1, 16, 6, 0
    )  # 22:30 local: quiet until 07:00
    assert schedule.quiet_until(utc(2026, 1, 16, 4, 0), "22:00", "07:00", zone) == utc(
        2026, 1, 16, 6, 0
    )  # 05:00 local
    assert schedule.quiet_until(utc(2026, 1, 16, 6, 0), "22:00", "07:00", zone) is None
    assert schedule.quiet_until(utc(2026, 1, 15, 20, 59), "22:00", "07:00", zone) is None


def test_quiet_hours_within_one_day() -> None:
    assert schedule.quiet_until(utc(2026, 1, 15, 13, 0), "12:00", "14:00", "UTC") == utc(
        2026, 1, 15, 14, 0
    )
    assert schedule.quiet_until(utc(2026, 1, 15, 14, 0), "12:00", "14:00", "UTC") is None


def test_quiet_hours_end_by_the_local_clock_on_a_dst_night() -> None:
    # Europe/Berlin springs forward at 02:00 on 2026-03-29: 07:00 local is 05:00 UTC then.
    assert schedule.quiet_until(utc(2026, 3, 28, 23, 0), "23:00", "07:00", "Europe/Berlin") == (
        utc(2026, 3, 29, 5, 0)
    )
