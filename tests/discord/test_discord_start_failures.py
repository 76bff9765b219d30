"""``newsbrief run`` with a Discord token that cannot be used: one message naming the setting,
what was tried and what to do; exit 2 for a rejected token, 1 for an unreachable Discord API
after bounded retries (issue 16 item 1)."""

from __future__ import annotations

from pathlib import Path

from fake_discord import FakeDiscord

from tests.run_support import closed_port, one_message, run_to_exit


async def test_an_unreachable_discord_api_is_retried_then_one_message_and_exit_1(
    tmp_path: Path,
) -> None:
    port = closed_port()
    api = f"http://127.0.0.1:{port}/api/v10"
    code, stderr = await run_to_exit(
        tmp_path,
        NEWSBRIEF_DISCORD_TOKEN="garbage",
        NEWSBRIEF_DISCORD_API_URL=api,
        NEWSBRIEF_DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/gateway",
        NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS="1",
        NEWSBRIEF_LOG_LEVEL="INFO",
    )
    assert code == 1
    assert "Traceback" not in stderr
    assert "newsbrief stopped" not in stderr  # it never ran
    assert "voice will NOT be supported" not in stderr
    tries = [line for line in stderr.splitlines() if "logging in using static token" in line]
    assert len(tries) >= 2  # retried with back-off
    last = stderr.strip().splitlines()[-1]
    assert [line for line in stderr.splitlines() if line.startswith("newsbrief: ")] == [last]
    assert last.startswith(
        f"newsbrief: cannot reach the Discord API at NEWSBRIEF_DISCORD_API_URL={api} after 1 s "
        "(ClientConnectorError: Cannot connect to host"
    )
    assert "NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS" in last


async def test_a_rejected_token_is_one_message_and_exit_2(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    code, stderr = await run_to_exit(
        tmp_path,
        NEWSBRIEF_DISCORD_TOKEN="garbage",
        NEWSBRIEF_DISCORD_API_URL=fake.api_url,
        NEWSBRIEF_DISCORD_GATEWAY_URL=fake.gateway_url,
        NEWSBRIEF_LOG_LEVEL="WARNING",
    )
    assert code == 2
    line = one_message(stderr)
    assert line.startswith(
        f"newsbrief: NEWSBRIEF_DISCORD_TOKEN: the Discord API at {fake.api_url} rejected the "
        "token (GET /users/@me answered 401 Unauthorized): set the bot token of the Developer"
    )
    assert [r.path for r in fake.requests] == ["/users/@me"]  # no retry of a rejected token
