"""Files in Discord commands: an attachment option (``/news import file:``) as an ``Upload``.

Discord states an attachment's ``size`` in the interaction, so the core refuses a file too
large to be an OPML list before ``read`` downloads it from Discord's CDN (``attachment.url``);
a failed download is one ``UserInputError``.
"""

from __future__ import annotations

import discord

from bot.core.errors import UserInputError
from bot.core.i18n import _


class DiscordUpload:
    """A Discord attachment as the core's ``Upload`` port."""

    def __init__(self, attachment: discord.Attachment) -> None:
        self._attachment = attachment

    @property
    def name(self) -> str:
        return self._attachment.filename

    @property
    def size(self) -> int | None:
        return self._attachment.size

    async def read(self) -> bytes:
        try:
            return await self._attachment.read()
        except discord.HTTPException as exc:
            raise UserInputError(
                _(
                    "Discord did not hand me that file ({reason}). Attach it again.",
                    reason=f"{exc.status} {exc.text or 'no reason'}",
                )
            ) from exc
