"""Reading a response body with a hard cap on its *decompressed* size.

httpx would inflate gzip for us, but a compressed chunk of 64 KiB can inflate to 64 MB before
any caller sees it. ``CappedDecoder`` inflates with ``zlib``'s ``max_length`` so that it never
produces more than the cap plus one byte, whatever the compression ratio: a gzip bomb costs
at most ``max_bytes`` of memory and is refused as soon as it crosses the cap.
"""

from __future__ import annotations

import zlib

from bot.core.errors import FeedUnavailableError

_GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(FeedUnavailableError):
    """The body, decompressed, is larger than the cap."""


class CappedDecoder:
    """Decodes one ``Content-Encoding`` (identity, gzip, deflate) up to ``limit`` bytes."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FeedUnavailableError(f"unsupported Content-Encoding {content_encoding!r}")
        self._coding = codings[0] if codings else ""
        self._limit = limit
        self._size = 0
        self._started = False
        self._inflater: zlib._Decompress | None = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress | None:
        if not self._coding:
            return None
        if raw:
            return zlib.decompressobj(-zlib.MAX_WBITS)
        # 32 + MAX_WBITS: accept a gzip or a zlib header (servers mix up "deflate").
        return zlib.decompressobj(32 + zlib.MAX_WBITS)

    def _count(self, data: bytes) -> bytes:
        self._size += len(data)
        if self._size > self._limit:
            raise BodyTooLarge(f"the response is larger than {self._limit} bytes")
        return data

    def feed(self, chunk: bytes) -> bytes:
        """Decode one raw chunk; raise ``BodyTooLarge`` past the cap."""
        if self._inflater is None:
            return self._count(chunk)
        out: list[bytes] = []
        data = chunk
        try:
            while data:
                budget = self._limit - self._size + 1
                out.append(self._count(self._inflater.decompress(data, budget)))
                self._started = True
                data = self._inflater.unconsumed_tail
                if self._inflater.eof:
                    rest = self._inflater.unused_data
                    if not rest.startswith(_GZIP_MAGIC):
                        break  # trailing garbage after the stream is ignored, like browsers
                    self._inflater = self._new()  # a multi-member gzip file
                    assert self._inflater is not None
                    data = rest
        except zlib.error as exc:
            if self._coding == "deflate" and not self._started:
                self._inflater = self._new(raw=True)  # raw deflate without a zlib header
                self._started = True
                return b"".join(out) + self.feed(chunk)
            raise FeedUnavailableError(f"the {self._coding} body is corrupt: {exc}") from exc
        return b"".join(out)

    def finish(self) -> bytes:
        """Whatever the decoder still holds at the end of the body."""
        if self._inflater is None:
            return b""
        try:
            return self._count(self._inflater.flush())
        except zlib.error as exc:
            raise FeedUnavailableError(f"the {self._coding} body is corrupt: {exc}") from exc
