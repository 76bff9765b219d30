"""Each part takes its own small settings, built from ``Settings`` by the composition root;
the parts themselves never import ``bot.config``."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.discord_bot.settings import DiscordSettings
from bot.adapters.telegram_bot.settings import TelegramSettings
from bot.config import Settings
from bot.feeds.settings import FetchSettings

REPO = Path(__file__).resolve().parents[1]
PARTS = (FetchSettings, TelegramSettings, DiscordSettings)


@pytest.mark.parametrize("part", PARTS)
def test_a_part_gets_the_settings_of_its_field_names(part: type) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, telegram_token="1:x", discord_token="d", max_redirects=3
    )
    built = settings.part(part)
    for field in dataclasses.fields(part):
        assert getattr(built, field.name) == getattr(settings, field.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, dataclasses.fields(part)[0].name, None)


def test_tokens_stay_secret_in_a_part() -> None:
    settings = Settings(_env_file=None, telegram_token="1:hush")  # type: ignore[call-arg]
    built = settings.part(TelegramSettings)
    assert isinstance(built.telegram_token, SecretStr)
    assert "hush" not in repr(built)


@pytest.mark.parametrize("folder", ["bot/core", "bot/feeds", "bot/adapters"])
def test_parts_never_import_the_settings_model(folder: str) -> None:
    for path in sorted((REPO / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(n == "bot.config" for n in names), f"{path} imports bot.config"
