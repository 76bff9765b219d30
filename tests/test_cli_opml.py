"""`newsbrief opml import` and `export` as real processes, on SQLite, with a loopback feed."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.loopback import FeedServer
from tests.test_cli import ROOT


async def newsbrief(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSBRIEF_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'nb.db'}",
        "NEWSBRIEF_FEEDS_FILE": str(tmp_path / "feeds.yaml"),
        "NEWSBRIEF_ALLOW_PRIVATE_URLS": "true",
        **env,
    }
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=full_env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_import_then_export_then_import_into_a_fresh_chat(
    server: FeedServer, tmp_path: Path
) -> None:
    listing = tmp_path / "mine.opml"
    listing.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="War">'
        f'<outline type="rss" text="Loop" xmlUrl="{server.url}"/></outline>'
        '<outline type="rss" text="Gone" xmlUrl="http://127.0.0.1:9/closed.xml"/>'
        "</body></opml>"
    )
    code, out, err = await newsbrief(
        tmp_path, "opml", "import", str(listing), "--chat", "telegram:42"
    )
    assert code == 0, err
    assert out.startswith("Import done: 2 in the list, 1 added, 0 already followed, 1 refused.")
    assert "- http://127.0.0.1:9/closed.xml: Cannot use" in out
    assert "2 of 2 checked" in err and "Traceback" not in err

    code, exported, err = await newsbrief(tmp_path, "opml", "export", "--chat", "telegram:42")
    assert code == 0, err
    assert f'xmlUrl="{server.url}"' in exported and 'category="/war"' in exported
    assert "Loopback News" in exported  # the feed's own title wins over the list's
    out_file = tmp_path / "back.opml"
    code, _, err = await newsbrief(
        tmp_path, "opml", "export", "--chat", "telegram:42", "-o", str(out_file)
    )
    assert code == 0 and "1 feeds of telegram:42 written" in err
    code, out, err = await newsbrief(
        tmp_path, "opml", "import", str(out_file), "--chat", "discord:7"
    )
    assert code == 0 and "1 added" in out, (out, err)
    code, again, _ = await newsbrief(tmp_path, "opml", "export", "--chat", "discord:7")
    assert f'xmlUrl="{server.url}"' in again


async def test_bad_files_and_chats_get_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><opml><body/></opml>'
    )
    code, out, err = await newsbrief(tmp_path, "opml", "import", str(bomb), "--chat", "telegram:1")
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"newsbrief: {bomb}: That file declares a DTD or XML entities, which newsbrief refuses "
        "to read. Export the list again from your feed reader."
    ]
    code, _, err = await newsbrief(
        tmp_path, "opml", "import", str(tmp_path / "none.opml"), "--chat", "telegram:1"
    )
    assert code == 1 and "cannot read" in err and "No such file" in err
    code, _, err = await newsbrief(tmp_path, "opml", "export", "--chat", "slack:1")
    assert code == 2 and "argument --chat: 'slack:1' is not PLATFORM:ID" in err
    assert not (tmp_path / "nb.db").exists()  # nothing opened for a bad chat or file
