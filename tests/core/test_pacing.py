"""The platform pacer on a fixed clock: global limits, AIMD, the in-flight window, retries."""

from __future__ import annotations

import itertools

import pytest

from bot.core.errors import ChatUnavailable, DeliveryError, RateLimited
from bot.core.pacing import DECREASE, HEADROOM, Pacer
from bot.core.ports import Pace
from tests.core.delivery_support import TimeMachine, chat

PACE = Pace(per_chat_interval=1.0, per_second=30.0)


def pacer(clock: TimeMachine, ceiling: int = 8) -> Pacer:
    return Pacer(PACE, ceiling=ceiling, monotonic=clock.monotonic, sleep=clock.sleep)


def test_a_429_on_one_chat_holds_only_that_chat(clock: TimeMachine) -> None:
    p = pacer(clock)
    assert p.limited(chat(1), 5.0) is False
    assert p.gate.held_until() == 0.0
    assert p.gate.current_rate() == pytest.approx(30.0 * HEADROOM)


async def test_429s_on_two_chats_hold_every_chat_and_lower_the_rate(clock: TimeMachine) -> None:
    p = pacer(clock)
    p.limited(chat(1), 3.0)
    clock.advance(0.2)
    assert p.limited(chat(2), 3.0) is True
    assert p.gate.held_until() == pytest.approx(clock.monotonic() + 3.0)
    assert p.gate.rate == pytest.approx(30.0 * HEADROOM * DECREASE)
    # A third chat that never saw a 429 waits out the hold too.
    start = clock.monotonic()
    await p.turn(chat(3))
    async with p.sending():
        sent_at = clock.monotonic()
    assert sent_at - start >= 3.0 - 1e-9


def test_more_reports_of_one_global_limit_lower_the_rate_once(clock: TimeMachine) -> None:
    p = pacer(clock)
    p.limited(chat(1), 2.0)
    for n in (2, 3, 4, 5):  # the other sends that were in flight come back 429 as well
        assert p.limited(chat(n), 2.0) is True
    assert p.global_limits == 1
    assert p.gate.rate == pytest.approx(30.0 * HEADROOM * DECREASE)


def test_a_429_marked_global_holds_the_platform_at_once(clock: TimeMachine) -> None:
    p = pacer(clock)
    assert p.limited(chat(1), 1.5, is_global=True) is True
    assert p.gate.held_until() == pytest.approx(clock.monotonic() + 1.5)


def test_429s_on_two_chats_far_apart_stay_per_chat(clock: TimeMachine) -> None:
    p = pacer(clock)
    p.limited(chat(1), 1.0)
    clock.advance(5)
    assert p.limited(chat(2), 1.0) is False
    assert p.global_limits == 0


def test_the_rate_recovers_after_a_quiet_spell(clock: TimeMachine) -> None:
    p = pacer(clock)
    full = p.gate.current_rate()
    p.limited(chat(1), 1.0)
    p.limited(chat(2), 1.0)
    lowered = p.gate.current_rate()
    assert lowered < full
    clock.advance(2)
    assert lowered < p.gate.current_rate() < full  # additive: part of the way back
    clock.advance(60)
    assert p.gate.current_rate() == pytest.approx(full)


async def test_sends_start_no_faster_than_the_rate(clock: TimeMachine) -> None:
    p = pacer(clock)
    starts = []
    for n in range(10):
        await p.turn(chat(n))
        async with p.sending():
            starts.append(clock.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(1 / (30.0 * HEADROOM))


async def test_the_window_follows_rate_times_latency_under_the_ceiling(clock: TimeMachine) -> None:
    p = pacer(clock, ceiling=8)
    assert p.window_size() == 2  # nothing measured yet
    p.latency = 0.1  # 100 ms a send: 29.1/s x 0.1 s = 2.9 sends out at once, +1
    assert p.window_size() == 4
    p.latency = 1.0
    assert p.window_size() == 8  # the ceiling
    assert pacer(clock, ceiling=1).window_size() == 1


async def test_deliver_retries_a_429_after_retry_after(clock: TimeMachine) -> None:
    p = pacer(clock)
    calls: list[float] = []

    async def send() -> str:
        calls.append(clock.monotonic())
        if len(calls) == 1:
            raise RateLimited(4.0)
        return "sent"

    assert await p.deliver(chat(1), send, label="reply to /help") == "sent"
    assert calls[1] - calls[0] >= 4.0


async def test_deliver_retries_network_errors_then_logs_the_chat_and_command(
    clock: TimeMachine, caplog: pytest.LogCaptureFixture
) -> None:
    p = pacer(clock)
    tries = 0

    async def send() -> None:
        nonlocal tries
        tries += 1
        raise DeliveryError("Telegram: Bad Gateway")

    assert await p.deliver(chat(7), send, label="reply to /latest") is None
    assert tries == p.attempts
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "reply to /latest" in record.getMessage() and "c7" in record.getMessage()


async def test_deliver_does_not_retry_a_chat_that_cannot_receive(clock: TimeMachine) -> None:
    p = pacer(clock)
    tries = 0

    async def send() -> None:
        nonlocal tries
        tries += 1
        raise ChatUnavailable("Forbidden: bot was blocked by the user")

    assert await p.deliver(chat(1), send, label="reply") is None
    assert tries == 1


def test_without_inferring_429s_on_several_chats_stay_per_chat(clock: TimeMachine) -> None:
    # Discord says which 429s are global; per-channel 429s on two channels are just that.
    p = Pacer(PACE, infer_global=False, monotonic=clock.monotonic, sleep=clock.sleep)
    assert p.limited(chat(1), 2.0) is False
    assert p.limited(chat(2), 2.0) is False
    assert p.gate.held_until() == 0.0
    assert p.limited(chat(3), 2.0, is_global=True) is True


async def test_a_chats_next_slot_counts_from_when_its_send_really_started(
    clock: TimeMachine,
) -> None:
    p = pacer(clock)
    await p.turn(chat(1))  # booked at once...
    p.gate.hold(clock.monotonic() + 0.6)  # ...but the send waits for a platform hold
    async with p.sending(chat(1)):
        first = clock.monotonic()
    await p.turn(chat(1))
    async with p.sending(chat(1)):
        second = clock.monotonic()
    assert second - first >= PACE.per_chat_interval - 1e-9
