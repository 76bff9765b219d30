"""/quiet and /digest: settings, replies, and re-planning rows that were already waiting."""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import COMMANDS, Commands
from bot.core.models import ReplyKind
from bot.storage import SqlStorage
from tests.core.delivery_support import ScriptedSource, TimeMachine, add_briefs, chat


def commands(db: SqlStorage, clock: TimeMachine) -> Commands:
    return Commands(db, ScriptedSource({}), clock)  # type: ignore[arg-type]


async def test_quiet_sets_shows_and_clears(db: SqlStorage, clock: TimeMachine) -> None:
    c = commands(db, clock)
    reply = await c.dispatch(chat(1), "/quiet 22:00-07:00 Europe/Kyiv")
    assert reply is not None and reply.kind is ReplyKind.OK
    assert "22:00-07:00 (Europe/Kyiv)" in reply.text and "/quiet off" in reply.text
    settings = await db.get_chat(chat(1))
    assert (settings.quiet_start, settings.quiet_end, settings.timezone) == (
        "22:00",
        "07:00",
        "Europe/Kyiv",
    )
    shown = await c.dispatch(chat(1), "/quiet")
    assert shown is not None and "22:00-07:00" in shown.text
    off = await c.dispatch(chat(1), "/quiet off")
    assert off is not None and off.kind is ReplyKind.OK
    assert (await db.get_chat(chat(1))).quiet_start is None


async def test_quiet_rejects_nonsense_with_an_example(db: SqlStorage, clock: TimeMachine) -> None:
    c = commands(db, clock)
    for text in ("/quiet night", "/quiet 22:00-07:00 Mars/Olympus"):
        reply = await c.dispatch(chat(1), text)
        assert reply is not None and reply.kind is ReplyKind.ERROR
        assert "e.g." in reply.text or "such as" in reply.text


async def test_changing_digest_or_quiet_replans_waiting_rows(
    db: SqlStorage, clock: TimeMachine
) -> None:
    await db.subscribe(chat(1), ["wire"], clock.now())
    await add_briefs(db, "wire", 2, clock.now())
    rows = await db.claim_deliveries(clock.now(), 10, 60)
    await db.release_deliveries([r.id for r in rows], clock.now() + timedelta(hours=20), "x")
    c = commands(db, clock)
    reply = await c.dispatch(chat(1), "/digest off")
    assert reply is not None and reply.kind is ReplyKind.OK
    assert len(await db.claim_deliveries(clock.now(), 10, 60)) == 2


async def test_digest_reply_says_when_the_next_one_comes(
    db: SqlStorage, clock: TimeMachine
) -> None:
    # The time machine starts at 12:00 UTC = 14:00 in Kyiv.
    reply = await commands(db, clock).dispatch(chat(1), "/digest 15:00,08:00 Europe/Kyiv")
    assert reply is not None and reply.kind is ReplyKind.OK
    assert "Digests at 08:00, 15:00 (Europe/Kyiv); the next one in 1 h." in reply.text
    assert "alerts still arrive at once" in reply.text


def test_quiet_is_a_listed_command() -> None:
    quiet = next(c for c in COMMANDS if c.name == "quiet")
    assert quiet.changes_chat and "HH:MM-HH:MM" in quiet.usage
