"""``/importance <n|off>``: a story is pushed to a chat with ``n > 1`` once ``n`` sources carry
it, when the n-th joins; the waiting state is the stored sources, so a restart keeps it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.commands import Commands
from bot.core.models import ChatRef, ReplyKind
from bot.core.pipeline import Pipeline
from bot.storage import SqlStorage, open_storage
from tests.core.delivery_support import T0, EchoSummarizer, ScriptedSource, chat, story
from tests.fakes import FakeFeedSource, FakeStorage, FixedClock

INTERVAL = timedelta(minutes=10)


async def _importance(db: SqlStorage, who: ChatRef, n: int) -> None:
    await db.save_chat(replace(await db.get_chat(who), importance=n))


async def test_held_at_one_source_pushed_once_when_the_second_joins_after_a_restart(
    db: SqlStorage, db_url: str
) -> None:
    await db.subscribe(chat(1), ["wire"], T0)  # n = 2
    await db.subscribe(chat(2), ["wire"], T0)  # n = 1: today's behaviour
    await _importance(db, chat(1), 2)
    a = story("wire", 1, link="https://agency.example/kursk", title="Kursk incursion")
    b = story("daily", 2, link="https://agency.example/kursk", title="Kursk incursion")
    source = ScriptedSource({"wire": [[], [a], []], "daily": [[], [], [b]]})
    pipeline = Pipeline(db, source, EchoSummarizer(), poll_interval=INTERVAL)
    await pipeline.poll_due(T0)  # primes both feeds
    await pipeline.poll_due(T0 + INTERVAL)
    first = await db.claim_deliveries(T0 + INTERVAL, 50, 60)
    assert [(d.chat, d.brief.title) for d in first] == [(chat(2), "Kursk incursion")]
    await db.mark_sent_many([d.id for d in first], T0 + INTERVAL, batched=False)
    await db.close()

    reopened = await open_storage(db_url)  # the waiting state is in the database
    try:
        later = T0 + 12 * INTERVAL  # daily is due again (its interval grew while quiet)
        again = Pipeline(reopened, source, EchoSummarizer(), poll_interval=INTERVAL)
        await again.poll_due(later)
        rows = await reopened.claim_deliveries(later, 50, 60)
        assert [(d.chat, d.brief.source, d.brief.also_sources) for d in rows] == [
            (chat(1), "Wire", ("Daily",))
        ]
    finally:
        await reopened.close()


async def test_the_command_shows_sets_and_refuses() -> None:
    storage = FakeStorage()
    commands = Commands(storage, FakeFeedSource(), FixedClock(T0))
    here = chat(1)
    shown = await commands.dispatch(here, "/importance")
    assert shown is not None and shown.text.startswith("Every story is pushed at its first")
    done = await commands.dispatch(here, "/importance 2")
    assert done is not None and done.kind is ReplyKind.OK
    assert done.text.startswith("Stories are now pushed once 2 different sources carry them")
    assert (await storage.get_chat(here)).importance == 2
    now = await commands.dispatch(here, "/importance")
    assert now is not None and now.text.startswith("Stories are pushed here once 2 different")
    for bad in ("/importance 0", "/importance 11", "/importance many"):
        refused = await commands.dispatch(here, bad)
        assert refused is not None and refused.kind is ReplyKind.ERROR
        assert refused.text == "Give a number of sources from 1 to 10, or off: /importance 2."
    off = await commands.dispatch(here, "/importance off")
    assert off is not None and off.text.startswith("Importance off")
    assert (await storage.get_chat(here)).importance == 1
