"""Platform-neutral pieces of a brief, shared by every adapter's renderer.

The formats are written down in docs/delivery.md ("How a brief reads").

Adapters add their own markup (Telegram HTML, Discord embeds); the words are the same
everywhere: the headline, the summary, and a footer ``Source · 2 h ago · also BBC, Reuters``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core import schedule
from bot.core.i18n import _, ngettext
from bot.core.models import Brief
from bot.core.sentence_ends import sentence_ends

SEPARATOR = " · "


def related_label() -> str:
    """Before the headline of a brief ``/latest <words>`` found by meaning, not by its words."""
    return _("Related: ")


def footer(brief: Brief, now: datetime) -> str:
    """``Sky News · 2 h ago · also BBC, Reuters``."""
    parts = [brief.source, schedule.ago(brief.published, now)]
    if brief.also_sources:
        parts.append(_("also {sources}", sources=", ".join(brief.also_sources)))
    return SEPARATOR.join(p for p in parts if p)


def alert_prefix(terms: Sequence[str]) -> str:
    """``Alert "kursk": `` (every matched alert named), or ``""`` when not an alert."""
    if not terms:
        return ""
    return _("Alert {terms}: ", terms=", ".join(f'"{t}"' for t in terms))


def plain(
    brief: Brief, now: datetime, *, alert_terms: Sequence[str] = (), related: bool = False
) -> str:
    """The brief as plain text: headline, summary, footer and link on their own lines."""
    lines = [(related_label() if related else alert_prefix(alert_terms)) + brief.title]
    if brief.summary:
        lines.append(brief.summary)
    lines.append(footer(brief, now))
    if brief.link:
        lines.append(brief.link)
    return "\n".join(lines)


def digest_heading(label: str, count: int) -> str:
    """``Your 08:00 briefing: 7 stories``."""
    return ngettext(
        "Your {label} briefing: {n} story", "Your {label} briefing: {n} stories", count, label=label
    )


def first_sentence(summary: str) -> str:
    """The summary's first sentence (for digest lines)."""
    summary = summary.strip()
    return summary[: next(sentence_ends(summary), len(summary))]


def clip(text: str, max_chars: int) -> str:
    """``text`` on one line, cut at the last sentence end within ``max_chars`` (else at a word,
    with an ellipsis)."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    ends = [end for end in sentence_ends(text) if end <= max_chars]
    if ends:
        return text[: ends[-1]]
    return text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"
