"""``newsbrief run`` with a Telegram token that cannot be used: one message naming the setting,
what was tried and what to do; exit 2 for a rejected token, 1 for an unreachable Bot API after
bounded retries (issue 16 item 1)."""

from __future__ import annotations

from pathlib import Path

from tests.run_support import closed_port, one_message, run_to_exit
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN


async def test_an_unreachable_bot_api_is_retried_then_one_message_and_exit_1(
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{closed_port()}"
    code, stderr = await run_to_exit(
        tmp_path,
        NEWSBRIEF_TELEGRAM_TOKEN="garbage",
        NEWSBRIEF_TELEGRAM_API_URL=api,
        NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS="1",
        NEWSBRIEF_LOG_LEVEL="INFO",
    )
    assert code == 1
    assert "Traceback" not in stderr
    assert "newsbrief stopped" not in stderr  # it never ran
    assert [line for line in stderr.splitlines() if "not reachable yet" in line] != []
    last = stderr.strip().splitlines()[-1]
    assert [line for line in stderr.splitlines() if line.startswith("newsbrief: ")] == [last]
    assert last.startswith(
        f"newsbrief: cannot reach the Telegram Bot API at NEWSBRIEF_TELEGRAM_API_URL={api} "
        "after 1 s (httpx.ConnectError"
    )
    assert "check the network connection" in last
    assert "NEWSBRIEF_PLATFORM_STARTUP_TIMEOUT_SECONDS" in last


async def test_a_rejected_token_is_one_message_and_exit_2(fake: FakeBotApi, tmp_path: Path) -> None:
    code, stderr = await run_to_exit(
        tmp_path,
        NEWSBRIEF_TELEGRAM_TOKEN="garbage",
        NEWSBRIEF_TELEGRAM_API_URL=fake.url,
        NEWSBRIEF_LOG_LEVEL="WARNING",
    )
    assert code == 2
    line = one_message(stderr)
    assert line.startswith(
        f"newsbrief: NEWSBRIEF_TELEGRAM_TOKEN: the Telegram Bot API at {fake.url} rejected the "
        "token (getMe answered 401 Unauthorized or 404 Not Found): set the token @BotFather gave"
    )
    assert [method for method, _ in fake.calls] == []  # refused before any method ran


async def test_a_failure_after_get_me_is_one_message_and_exit_1(
    fake: FakeBotApi, tmp_path: Path
) -> None:
    fake.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    code, stderr = await run_to_exit(
        tmp_path,
        NEWSBRIEF_TELEGRAM_TOKEN=TOKEN,
        NEWSBRIEF_TELEGRAM_API_URL=fake.url,
        NEWSBRIEF_LOG_LEVEL="WARNING",
    )
    assert code == 1
    assert one_message(stderr) == (
        f"newsbrief: the Telegram Bot API at NEWSBRIEF_TELEGRAM_API_URL={fake.url} failed during "
        "start-up (Bot_command_invalid): start again; with a webhook, check "
        "NEWSBRIEF_TELEGRAM_WEBHOOK_URL"
    )
