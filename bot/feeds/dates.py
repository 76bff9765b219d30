"""A lenient date parser for what feedparser gives up on: RFC 822 dates in other languages.

Feeds from Italy, Portugal, Brazil, Spain, Germany or France often write ``pubDate`` with
local day and month names (``mer, 16 nov 2022 00:38:15 +0100``, ``Seg, 24 Set 2018 19:42:40
-0300``, ``Di, 3. Mär 2020 10:00:00 MEZ``). feedparser then leaves ``published_parsed`` empty.
``parse_loose_date`` drops the day name, maps the month name to English and parses the rest as
RFC 822; a date without a known zone is taken as UTC.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_ENGLISH = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "gen", "gennaio", "janeiro", "ene", "enero", "januar", "jan", "janv",
        "janvier", "jaen", "jaenner"),
    2: ("february", "febbraio", "fev", "fevereiro", "febrero", "februar", "fevr", "fevrier"),
    3: ("march", "marzo", "marco", "maerz", "maer", "mrz", "mars", "maart"),
    4: ("april", "aprile", "abr", "abril", "avr", "avril"),
    5: ("mag", "maggio", "mai", "maio", "mayo", "mei"),
    6: ("june", "giu", "giugno", "junho", "junio", "juni", "juin"),
    7: ("july", "lug", "luglio", "julho", "julio", "juli", "juil", "juillet"),
    8: ("august", "ago", "agosto", "aout", "augustus"),
    9: ("september", "sept", "set", "settembre", "setembro", "septiembre", "septembre"),
    10: ("october", "ott", "ottobre", "out", "outubro", "octubre", "okt", "oktober", "octobre"),
    11: ("november", "novembre", "novembro", "noviembre"),
    12: ("december", "dic", "dicembre", "dez", "dezembro", "diciembre", "dezember", "decembre"),
}  # fmt: skip
_MONTHS = {name: _ENGLISH[n - 1] for n, names in _NAMES.items() for name in names}
_MONTHS.update({name: name for name in _ENGLISH})
_ZONES = {"mez": "+0100", "mesz": "+0200", "cet": "+0100", "cest": "+0200", "wet": "+0000",
          "west": "+0100", "eet": "+0200", "eest": "+0300", "brt": "-0300"}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+\.?")


def _ascii(text: str) -> str:
    """Lower case, umlauts spelt out (``März`` -> ``maerz``), other accents dropped."""
    text = text.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _translate(match: re.Match[str]) -> str:
    word = _ascii(match.group(0).rstrip("."))
    if word in _MONTHS:
        return _MONTHS[word].capitalize()
    if word in _ZONES:
        return _ZONES[word]
    if word[:3] in _MONTHS and len(word) > 3 and word[:3] != "mar":
        return _MONTHS[word[:3]].capitalize()  # long forms not in the table
    return match.group(0)


def parse_loose_date(text: str | None) -> datetime | None:
    """Parse a localised RFC 822-like date into aware UTC, or None."""
    if not text:
        return None
    value = text.strip()
    if re.match(r"^[^\d,]+,", value):
        value = value.split(",", 1)[1]  # the day name, whatever the language
    value = re.sub(r"(\d)\.(?=\s)", r"\1", value)  # "3. Mär" -> "3 Mär"
    value = re.sub(r"\bde\b", " ", value)  # "16 de nov de 2022"
    value = _WORD.sub(_translate, value)
    try:
        parsed = parsedate_to_datetime(" ".join(value.split()))
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1990 <= parsed.year <= 2200:
        return None
    return parsed.astimezone(UTC)
