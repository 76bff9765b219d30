"""The gettext catalogues (bot/locale): complete, faithful to their placeholders, compiled.

Managed with Babel (``make locales``); these checks use Babel too, the bot itself only reads the
compiled ``.mo`` files with the standard library.
"""

from __future__ import annotations

import io
import string
import tomllib
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.core.command_table import COMMANDS, SLASH_GROUPS
from bot.core.i18n import DEFAULT, LANGUAGES, LOCALE_DIR, _, ngettext, using

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT]


def _po(language: str) -> Catalog:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_template_holds_every_string_the_code_marks() -> None:
    """``make locales`` was run after the last change to the bot's words."""
    found = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(str(ROOT / "bot"), [("**.py", "python")])
    }
    with open(LOCALE_DIR / "messages.pot", "rb") as f:
        assert _ids(read_po(f)) == found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    with open(LOCALE_DIR / "messages.pot", "rb") as f:
        template = read_po(f)
    catalog = _po(language)
    assert _ids(catalog) == _ids(template)
    assert not catalog.obsolete
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{language}: untranslated {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        assert len(forms) == (catalog.num_plurals if message.pluralizable else 1)


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_the_source_string(language: str) -> None:
    for message in _po(language):
        if not message.id:
            continue
        if message.pluralizable:
            plural = _fields(message.id[1])
            for form in message.string:
                assert _fields(form) == plural, f"{language}: {form!r} for {message.id[1]!r}"
        else:
            assert _fields(message.string) == _fields(message.id), f"{language}: {message.string!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_shipped_mo_file_is_the_compiled_po_file(language: str) -> None:
    """``make locales`` compiles them; a .po edited without compiling fails here."""
    compiled = io.BytesIO()
    write_mo(compiled, _po(language))
    shipped = (LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert shipped == compiled.getvalue()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "uk",
            ["1 стрічка:", "2 стрічки:", "5 стрічок:", "11 стрічок:", "21 стрічка:", "22 стрічки:"],
        ),
        ("ru", ["1 лента:", "2 ленты:", "5 лент:", "11 лент:", "21 лента:", "22 ленты:"]),
        ("de", ["1 Feed:", "2 Feeds:", "5 Feeds:", "11 Feeds:", "21 Feeds:", "22 Feeds:"]),
        ("en", ["1 feed:", "2 feeds:", "5 feeds:", "11 feeds:", "21 feeds:", "22 feeds:"]),
    ],
)
def test_plural_forms(language: str, expected: list[str]) -> None:
    with using(language):
        got = [ngettext("{n} feed:", "{n} feeds:", n) for n in (1, 2, 5, 11, 21, 22)]
    assert got == expected


def test_three_plural_forms_in_ukrainian_and_russian() -> None:
    for language in ("uk", "ru"):
        assert _po(language).num_plurals == 3
    with using("uk"):
        assert [ngettext("{n} new story", "{n} new stories", n) for n in (1, 2, 5, 21)] == [
            "1 свіжа новина",
            "2 свіжі новини",
            "5 свіжих новин",
            "21 свіжа новина",
        ]
    with using("ru"):
        assert [ngettext("{n} alert:", "{n} alerts:", n) for n in (1, 2, 5, 21)] == [
            "1 оповещение:",
            "2 оповещения:",
            "5 оповещений:",
            "21 оповещение:",
        ]


def test_english_is_the_source_and_anything_else_falls_back_to_it() -> None:
    for language in ("en", "pt", None):
        with using(language):
            assert _("Read") == "Read"
            assert _("Alert {id} removed.", id=3) == "Alert 3 removed."


@pytest.mark.parametrize("language", TRANSLATED)
def test_descriptions_fit_discord_and_telegram(language: str) -> None:
    """Discord allows 100 characters for a command or option description, Telegram 256 for a
    menu entry; a translation must not be cut."""
    texts = [c.description for c in COMMANDS] + list(SLASH_GROUPS.values())
    texts += [p.description for c in COMMANDS for p in c.params]
    with using(language):
        for text in texts:
            assert len(_(text)) <= 100, (language, _(text))
        for c in COMMANDS:
            assert len(f"{_(c.description)} ({c.usage})") <= 256


def test_the_language_option_names_every_language() -> None:
    (code,) = next(c for c in COMMANDS if c.name == "language").typed
    assert code.choices == tuple(LANGUAGES)
    assert all(language in code.description for language in LANGUAGES)


def test_the_catalogues_are_package_data() -> None:
    """An installed bot (``pip install .``, the image) finds its compiled catalogues."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["bot"]
    shipped = {path for pattern in patterns for path in (ROOT / "bot").glob(pattern)}
    for language in TRANSLATED:
        assert LOCALE_DIR / language / "LC_MESSAGES" / "messages.mo" in shipped
