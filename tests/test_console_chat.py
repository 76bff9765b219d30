"""The console chat in this process: piped input lines through the command table, the blocks it
prints for replies, briefs, digests, files and notices, and what happens when a command fails
or the input is gone. (``tests/test_console_contract.py`` holds it to the adapter contract.)"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta

import pytest

from bot.adapters.console import ConsoleAdapter
from bot.adapters.console.chat import CONSOLE_CHAT, SORRY, ConsoleNotifier
from bot.core.commands import Commands
from bot.core.errors import MessageGone, StorageError
from bot.core.i18n import _, translate, using
from bot.core.models import Brief, ChatRef, Feed, Reply, ReplyKind
from bot.core.ports import Summarised
from tests.fakes import T0, FakeFeedSource, FakeStorage, FixedClock, make_story

CATALOGUE = [Feed("bbc-world", "https://bbc.example/rss", "BBC World", ("world",), "en")]
BRIEF = Brief(
    7,
    "k",
    "bbc-world",
    "Bridge reopens",
    "Engineers said the bridge reopens on Monday. Repairs took a year.",
    "https://news.example/7",
    "BBC World",
    T0 - timedelta(hours=2),
    also_sources=("DW",),
)


class Blocks(io.StringIO):
    """Standard output, kept as the blocks the console prints (one ``write`` each)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []

    def write(self, text: str) -> int:
        assert text.endswith("\n\n")  # every block ends with one blank line
        self.blocks.append(text[:-2])
        return len(text)


async def _session(
    commands: Commands, lines: str, *, prompt: bool = False, stdin: io.StringIO | None = None
) -> list[str]:
    """Feed ``lines`` to a console chat and return what it printed once the input ended."""
    out = Blocks()
    adapter = ConsoleAdapter(
        commands, stdin or io.StringIO(lines), out, FixedClock(), prompt=prompt
    )
    await adapter.start()
    assert adapter._task is not None
    await asyncio.wait_for(asyncio.shield(adapter._task), 10)
    await adapter.stop()
    return out.blocks


@pytest.fixture
async def storage() -> FakeStorage:
    store = FakeStorage()
    await store.sync_catalogue(CATALOGUE)
    return store


@pytest.fixture
def commands(storage: FakeStorage) -> Commands:
    return Commands(storage, FakeFeedSource(), FixedClock())


async def test_bare_words_are_commands_and_blank_lines_are_skipped(commands: Commands) -> None:
    blocks = await _session(commands, "\n   \nsubscribe bbc-world\n/subscriptions\n", prompt=True)
    assert blocks == [
        "newsbrief console chat. Type /help (Ctrl-C quits).",
        "Subscribed to BBC World (bbc-world). New stories arrive here; /latest shows the last "
        "ones. The first fetch of bbc-world is pending: its stories appear within minutes.",
        "This chat follows 1 feed:\nbbc-world: BBC World [world]",
    ]


async def test_an_unknown_command_and_a_usage_error_get_one_line_each(
    commands: Commands,
) -> None:
    blocks = await _session(commands, "/frobnicate now\n/unalert x\n")
    assert blocks == [
        'Unknown command "/frobnicate". /help lists the commands.',
        "Usage: /unalert <id>. /alerts shows the ids.",
    ]


async def test_latest_prints_each_brief_as_its_own_block(
    commands: Commands, storage: FakeStorage
) -> None:
    await storage.record_story(
        make_story(1, "bbc-world"),
        Summarised("Bridge reopens", "Engineers said the bridge reopens."),
        T0,
        deliver=False,
    )
    heading, brief = await _session(commands, "/latest\n")
    assert heading == "The latest story:"
    assert brief.splitlines() == [
        "Bridge reopens",
        "Engineers said the bridge reopens.",
        "BBC World · just now",
        "https://news.example/1",
    ]


async def test_a_failing_command_says_sorry_and_the_next_one_still_runs(
    storage: FakeStorage, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Commands):
        async def status(self, chat: ChatRef) -> Reply:
            raise RuntimeError("database on fire")

    with caplog.at_level(logging.ERROR, "bot.adapters.console.chat"):
        blocks = await _session(Broken(storage, FakeFeedSource(), FixedClock()), "status\nalerts\n")
    assert blocks == [SORRY, "No alerts here. Add one with /alert <words>."]
    [record] = [r for r in caplog.records if r.name == "bot.adapters.console.chat"]
    assert record.getMessage() == "console command '/status' failed"
    assert record.exc_info is not None and "database on fire" in str(record.exc_info[1])


async def test_a_pending_notice_comes_once_before_the_reply(commands: Commands) -> None:
    await commands.leave_notice(CONSOLE_CHAT, "Feed bbc-world was paused: HTTP 404.")
    blocks = await _session(commands, "alerts\nalerts\n")
    assert blocks == [
        "Feed bbc-world was paused: HTTP 404.",
        "No alerts here. Add one with /alert <words>.",
        "No alerts here. Add one with /alert <words>.",
    ]


async def test_an_export_prints_the_file_after_its_caption(commands: Commands) -> None:
    caption, document = (await _session(commands, "subscribe bbc-world\nexport\n"))[1:]
    assert caption.startswith("This chat's 1 feed as OPML")
    name, _sep, body = document.partition("\n")
    assert name == "--- newsbrief-console-console.opml ---"
    assert body.startswith("<?xml") and 'xmlUrl="https://bbc.example/rss"' in body


async def test_the_apology_is_in_the_chats_language(storage: FakeStorage) -> None:
    class Broken(Commands):
        async def status(self, chat: ChatRef) -> Reply:
            raise RuntimeError("database on fire")

    blocks = await _session(
        Broken(storage, FakeFeedSource(), FixedClock()), "language de\nstatus\n"
    )
    assert len(blocks) == 2
    assert blocks[1] == translate("de", SORRY)
    assert blocks[1] != SORRY  # the German catalogue has it


async def test_the_apology_is_english_when_the_language_cannot_be_read(
    storage: FakeStorage,
) -> None:
    class Down(Commands):
        async def speaks(self, chat: ChatRef, locale: str | None = None) -> str:
            raise StorageError("database error: OperationalError: disk I/O error")

    blocks = await _session(Down(storage, FakeFeedSource(), FixedClock()), "status\n")
    assert blocks == [SORRY]


async def test_the_chats_language_is_spoken_from_the_next_line(commands: Commands) -> None:
    blocks = await _session(commands, "language de\n/frobnicate\n")
    with using("de"):
        german = _('Unknown command "/{name}". /help lists the commands.', name="frobnicate")
    assert german != 'Unknown command "/frobnicate". /help lists the commands.'
    assert blocks[-1] == german


async def test_input_that_is_already_closed_ends_the_session_quietly(
    commands: Commands,
) -> None:
    closed = io.StringIO("help\n")
    closed.close()
    assert await _session(commands, "", stdin=closed) == []


def _notifier() -> tuple[ConsoleNotifier, Blocks]:
    out = Blocks()
    return ConsoleNotifier(out, FixedClock()), out


async def test_an_alert_brief_names_its_terms_and_ends_with_its_link() -> None:
    notifier, out = _notifier()
    assert await notifier.send_brief(CONSOLE_CHAT, BRIEF, alert_terms=("bridge", "kyiv")) is None
    assert out.blocks == [
        'Alert "bridge", "kyiv": Bridge reopens\n'
        "Engineers said the bridge reopens on Monday. Repairs took a year.\n"
        "BBC World · 2 h ago · also DW\n"
        "https://news.example/7"
    ]


async def test_a_digest_is_one_block_of_first_sentences() -> None:
    notifier, out = _notifier()
    other = Brief(8, "k8", "bbc-world", "Storm", "", "https://news.example/8", "BBC World", T0)
    await notifier.send_digest(CONSOLE_CHAT, "Your 08:00 briefing: 2 stories", [BRIEF, other])
    assert out.blocks == [
        "Your 08:00 briefing: 2 stories\n"
        "- Bridge reopens: Engineers said the bridge reopens on Monday. https://news.example/7\n"
        "- Storm:  https://news.example/8"
    ]


async def test_printed_lines_cannot_be_edited() -> None:
    notifier, out = _notifier()
    with pytest.raises(MessageGone):
        await notifier.edit_brief(CONSOLE_CHAT, "1", BRIEF)
    assert out.blocks == []


async def test_related_briefs_are_marked_and_come_after_the_matches() -> None:
    notifier, out = _notifier()
    plain = Brief(9, "k9", "bbc-world", "Plain", "", "", "BBC World", T0)
    notifier.reply(Reply("Found:", ReplyKind.INFO, briefs=(plain,), related=(BRIEF,)))
    assert [b.splitlines()[0] for b in out.blocks] == ["Found:", "Plain", "Related: Bridge reopens"]
    assert out.blocks[1] == "Plain\nBBC World · just now"  # no summary, no link: no empty lines
