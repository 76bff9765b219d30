"""The bot's own words in the chat's language, from the gettext catalogues in ``bot/locale``.

Feed text (titles, summaries) is the publisher's and is never translated; everything the bot
says itself is written in English in the code and looked up here. ``using(language)`` sets the
language of the words that follow (a context variable: an adapter sets it once around a
command, the deliverer around one chat's messages); ``_`` and ``ngettext`` look them up and
fill in their ``{placeholders}``. ``N_`` marks a string for extraction only (the command
table's descriptions, translated where they are shown). The catalogues are managed with Babel
(``make locales``); the core reads the compiled ``.mo`` files with the standard library.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DEFAULT = "en"
LANGUAGES: dict[str, str] = {
    "en": "English",
    "uk": "Українська",
    "ru": "Русский",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
}
"""The languages the bot speaks, by code, each named in itself."""
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("language", default=DEFAULT)


@functools.cache
def catalogue(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``language`` (English: the source strings themselves)."""
    if language == DEFAULT or language not in LANGUAGES:
        return gettext.NullTranslations()
    return gettext.translation("messages", LOCALE_DIR, [language])


def language_of(locale: str | None) -> str | None:
    """Our language for a platform locale (``uk``, ``pt-BR``, ``en_GB``), or ``None``."""
    code = (locale or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def current() -> str:
    """The language ``using`` set (English outside of any)."""
    return _current.get()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Speak ``language`` (one of ``LANGUAGES``; anything else is English) within the block."""
    chosen = language if language in LANGUAGES else DEFAULT
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def _(message: str, /, **values: object) -> str:
    """``message`` in the current language, its ``{placeholders}`` filled from ``values``."""
    text = catalogue(_current.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The form of ``singular``/``plural`` for ``n`` (``{n}`` is filled in, with ``values``)."""
    text = catalogue(_current.get()).ngettext(singular, plural, n)
    return text.format(n=n, **values)


def N_(message: str) -> str:
    """``message`` unchanged: marks it for the catalogues, translated where it is shown."""
    return message


def translate(language: str, message: str) -> str:
    """``message`` in ``language`` (menus registered once per language)."""
    with using(language):
        return _(message)
