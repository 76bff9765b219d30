"""Files in Telegram commands: the document an ``/import`` carries (or answers), as an ``Upload``.

The core reads ``size`` (Telegram's ``file_size``) before it asks for the bytes, so a file too
large to be an OPML list is refused without a download. ``read`` is ``getFile`` and then a
download from ``{NEWSBRIEF_TELEGRAM_API_URL}/file/bot{token}/{file_path}``; a refusal by
Telegram (over its own 20 MB bot limit, a file gone) is one ``UserInputError``.
"""

from __future__ import annotations

from telegram import Document, Message
from telegram.error import TelegramError

from bot.core.errors import UserInputError
from bot.core.i18n import _


def document_of(message: Message) -> Document | None:
    """The document a command message carries: its own (the command is the caption), or that
    of the message it answers."""
    if message.document is not None:
        return message.document
    answered = message.reply_to_message
    return answered.document if answered is not None else None


class TelegramUpload:
    """A Telegram document as the core's ``Upload`` port."""

    def __init__(self, document: Document) -> None:
        self._document = document

    @property
    def name(self) -> str:
        return self._document.file_name or ""

    @property
    def size(self) -> int | None:
        return self._document.file_size

    async def read(self) -> bytes:
        try:
            file = await self._document.get_file()
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            raise UserInputError(
                _(
                    "Telegram did not hand me that file ({reason}). Send it again, or a "
                    "smaller one.",
                    reason=exc.message,
                )
            ) from exc
