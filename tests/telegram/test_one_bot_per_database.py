"""A database holds the chats of one bot per platform: ``newsbrief run`` with a second,
different token on the same database is refused with one message (exit 2), before it takes
any update (issue 13 item 7: two tokens on one database sent briefs through the bot the
chat never talked to)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.loopback import FeedServer
from tests.run_support import check_alive, newsbrief_run
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_chats import TOKEN

OTHER_TOKEN = "654321:ANOTHER-BOT-TOKEN"


async def test_a_second_bot_on_the_same_database_is_refused(
    fake: FakeBotApi, server: FeedServer, tmp_path: Path
) -> None:
    quiet = {"NEWSBRIEF_TELEGRAM_API_URL": fake.url, "NEWSBRIEF_LOG_LEVEL": "WARNING"}
    async with newsbrief_run(
        tmp_path, server.url, NEWSBRIEF_TELEGRAM_TOKEN=TOKEN, **quiet
    ) as first:

        def serving() -> bool:
            check_alive(first, tmp_path)
            return bool(fake.commands)

        await fake.wait_until(serving, within=60)  # bot 123456 claimed the database
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 30) == 0
    fake.token, fake.commands, fake.calls = OTHER_TOKEN, [], []
    async with newsbrief_run(
        tmp_path, server.url, NEWSBRIEF_TELEGRAM_TOKEN=OTHER_TOKEN, **quiet
    ) as second:
        assert await asyncio.wait_for(second.wait(), 60) == 2
    err = (tmp_path / "stderr.log").read_text()
    assert "Traceback" not in err and OTHER_TOKEN not in err, err
    assert err.strip().splitlines() == [
        "newsbrief: NEWSBRIEF_TELEGRAM_TOKEN: this database's telegram chats belong to bot "
        "123456, and this token is bot 654321's. Start with bot 123456's token, or give this "
        "bot a database of its own (NEWSBRIEF_DATABASE_URL)."
    ], err
    # Refused before it took any update or registered its commands.
    assert [method for method, _ in fake.calls] == ["getMe"]
