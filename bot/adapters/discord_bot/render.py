"""Pure rendering for Discord: briefs as embeds, digests and replies as messages.

Nothing here does I/O; every function turns core values into :class:`Outgoing` messages that
respect Discord's limits (content 2000 characters; embed title 256, description 4096, footer
2048, author 256; at most 10 embeds and 6000 embed characters per message; thread names 100).

Decisions:

- A brief is one embed: the publisher's headline as title linking to the article, the summary
  as description, the source (and the other sources of the story) as footer, the publication
  time as the embed timestamp, and the story's image as thumbnail. The time is left to the
  embed timestamp on purpose: Discord renders it in each reader's own time zone and locale,
  where a "2 h ago" written into the message would be wrong an hour later.
- An alert names what matched in the message content, ``Alert "kursk": ``, so it shows in the
  push notification too (docs/delivery.md, "How a brief reads").
- Feed text is escaped for Discord markdown where Discord renders markdown (content and
  description). Mentions in it cannot ping anyone because every message is sent with
  ``allowed_mentions`` set to none (see ``NO_MENTIONS``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC

import discord

from bot.core import briefs as shared
from bot.core.command_table import COMMANDS
from bot.core.i18n import _
from bot.core.models import Brief

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
THREAD_NAME_MAX = 100
EMBEDS_PER_MESSAGE = 10
EMBED_CHARS_PER_MESSAGE = 6000
DIGEST_SUMMARY_MAX = 300
"""A digest shows one sentence per story, at most this long."""

BRIEF_COLOUR = discord.Colour(0x2F6FB3)
ALERT_COLOUR = discord.Colour(0xE8A33D)
ELLIPSIS = "…"

# The core's command names (and aliases) -> their ``/news`` paths (``/unalert`` -> alert remove).
_COMMAND_NAMES = {n: " ".join(c.path) for c in COMMANDS for n in (c.name, *c.aliases)}
_COMMAND_REF = re.compile(r"(?<![\w/.:-])/(" + "|".join(_COMMAND_NAMES) + r")\b(?!/)")


def no_mentions() -> discord.AllowedMentions:
    """Allowed mentions for every message newsbrief sends: nobody, no role, no @everyone."""
    return discord.AllowedMentions.none()


@dataclass(frozen=True)
class Outgoing:
    """One Discord message to send: content and up to 10 embeds."""

    content: str = ""
    embeds: tuple[discord.Embed, ...] = field(default=())

    @property
    def embed_chars(self) -> int:
        """Characters that count toward Discord's 6000-per-message embed limit."""
        return sum(len(e) for e in self.embeds)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rstrip()
    # Never leave a dangling markdown escape at the end.
    while cut.endswith("\\"):
        cut = cut[:-1]
    return cut + ELLIPSIS


def escape(text: str) -> str:
    """Escape Discord markdown in feed text (links are left intact)."""
    return discord.utils.escape_markdown(text)


def discord_commands(text: str) -> str:
    """Rewrite the core's command names (``/latest``, ``/unalert``) into ``/news`` commands."""
    return _COMMAND_REF.sub(lambda m: "/news " + _COMMAND_NAMES[m.group(1)], text)


def alert_prefix(terms: Sequence[str]) -> str:
    """``Alert "kursk":`` naming every alert that matched (the shared wording of
    ``bot.core.briefs``); empty without terms."""
    return shared.alert_prefix(terms).rstrip()


def footer_text(brief: Brief) -> str:
    """Source, then the other publishers that carried the story.

    Like ``bot.core.briefs.footer`` without the relative time, which the embed timestamp
    shows instead (see the module docstring).
    """
    parts = [brief.source or brief.feed_id]
    if brief.also_sources:
        parts.append(_("also {sources}", sources=", ".join(brief.also_sources)))
    return truncate(shared.SEPARATOR.join(parts), FOOTER_MAX)


def first_sentence(text: str, limit: int = DIGEST_SUMMARY_MAX) -> str:
    """The first sentence of ``text`` (``bot.core.sentence_ends``), cut at ``limit`` characters."""
    return truncate(shared.first_sentence(text), limit)


def _is_web_url(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def brief_embed(
    brief: Brief, *, compact: bool = False, alert: bool = False, related: bool = False
) -> discord.Embed:
    """One brief as an embed (``compact``: one sentence, for digests; ``related``: found by
    meaning, its title after ``Related:``)."""
    summary = first_sentence(brief.summary) if compact else brief.summary
    label = shared.related_label() if related else ""
    embed = discord.Embed(
        title=truncate(label + (brief.title or brief.link or brief.source), TITLE_MAX),
        url=brief.link if _is_web_url(brief.link) else None,
        description=truncate(escape(summary), DESCRIPTION_MAX) if summary else None,
        colour=ALERT_COLOUR if alert else BRIEF_COLOUR,
        timestamp=brief.published
        if brief.published.tzinfo
        else brief.published.replace(tzinfo=UTC),
    )
    embed.set_footer(text=footer_text(brief))
    if brief.image_url and _is_web_url(brief.image_url) and not compact:
        embed.set_thumbnail(url=brief.image_url)
    _fit(embed)
    return embed


def _fit(embed: discord.Embed) -> None:
    """Shorten the description until the embed is within the 6000-character total."""
    excess = len(embed) - EMBED_CHARS_PER_MESSAGE
    if excess > 0 and embed.description:
        embed.description = truncate(embed.description, max(1, len(embed.description) - excess))


def brief_message(brief: Brief, alert_terms: Sequence[str] = ()) -> Outgoing:
    """The message for one pushed brief (with the alert prefix when alerts matched)."""
    content = truncate(escape(alert_prefix(alert_terms)), CONTENT_MAX)
    return Outgoing(content, (brief_embed(brief, alert=bool(alert_terms)),))


def thread_name(text: str) -> str:
    """A forum post or thread name: one line, 1-100 characters."""
    line = " ".join(text.split()) or _("News")
    return truncate(line, THREAD_NAME_MAX)


def pack(embeds: Sequence[discord.Embed], content: str = "") -> list[Outgoing]:
    """Group embeds into messages of at most 10 embeds and 6000 embed characters.

    Embeds are never split, so a digest breaks only at story boundaries. ``content`` goes on
    the first message (and is the only message when there are no embeds).
    """
    messages: list[Outgoing] = []
    batch: list[discord.Embed] = []
    chars = 0
    for embed in embeds:
        size = len(embed)
        if batch and (len(batch) == EMBEDS_PER_MESSAGE or chars + size > EMBED_CHARS_PER_MESSAGE):
            messages.append(Outgoing(content if not messages else "", tuple(batch)))
            batch, chars = [], 0
        batch.append(embed)
        chars += size
    if batch or not messages:
        messages.append(Outgoing(content if not messages else "", tuple(batch)))
    return messages


def digest_messages(heading: str, briefs: Sequence[Brief]) -> list[Outgoing]:
    """A digest: the heading as content, one compact embed per story, split at stories."""
    embeds = [brief_embed(b, compact=True) for b in briefs]
    return pack(embeds, truncate(escape(heading), CONTENT_MAX))


def split_text(text: str, limit: int = CONTENT_MAX) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters, at line breaks if possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return pieces


def reply_messages(
    text: str, briefs: Sequence[Brief] = (), related: Sequence[Brief] = ()
) -> list[Outgoing]:
    """A command's reply: its text (split at 2000 characters), then its briefs as embeds
    (``related`` ones last, marked)."""
    chunks = split_text(escape(discord_commands(text)))
    head = [Outgoing(chunk) for chunk in chunks[:-1]]
    embeds = [brief_embed(b) for b in briefs] + [brief_embed(b, related=True) for b in related]
    return head + pack(embeds, chunks[-1])


def text_messages(text: str) -> list[Outgoing]:
    """A plain notice, escaped and split at 2000 characters."""
    return [Outgoing(chunk) for chunk in split_text(escape(discord_commands(text)))]
