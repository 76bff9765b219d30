"""``App.start`` pushes each part it started onto one ``AsyncExitStack``: a start that fails
half-way stops exactly what it started, in reverse order, and ``stop`` twice is harmless."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.errors import StartupError
from bot.core.ports import ChatAdapter


class Adapter:
    def __init__(self, name: str, log: list[str], *, fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def start(self) -> None:
        if self.fail:
            raise StartupError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.name == "b":
            raise RuntimeError("b fails to stop")  # logged; the others still stop


async def test_a_failed_start_stops_what_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        feeds_file=feeds,
    )
    app = App(settings)
    log: list[str] = []
    adapters = [Adapter("a", log), Adapter("b", log), Adapter("c", log, fail=True)]

    def build() -> list[ChatAdapter]:
        return adapters  # type: ignore[return-value]

    monkeypatch.setattr(app, "_build_adapters", build)
    with pytest.raises(StartupError, match="c cannot start"):
        await app.start()
    await app.stop()
    assert log == ["start a", "start b", "stop b", "stop a"]
    await app.stop()  # nothing left to stop
    assert log == ["start a", "start b", "stop b", "stop a"]
    # The database lock and connection were released: the same file opens again.
    again = App(settings)
    monkeypatch.setattr(again, "_build_adapters", lambda: [Adapter("d", log)])
    with pytest.raises(AttributeError):  # the fake adapter has no notifier
        await again.start()
    await again.stop()
    assert log[-2:] == ["start d", "stop d"]
