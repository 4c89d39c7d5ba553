"""Reading a response body within a size cap: content types and bounded decompression.

The cap counts *decoded* bytes: every ``decompress`` call is told how many bytes it may still
produce, so a gzip bomb stops at the cap instead of inflating in memory first.
"""

from __future__ import annotations

import zlib
from email.message import Message

from fusion_tool.core.errors import FetchError, FetchRefused

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset(
    {
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "text/csv",
        "text/xml",
        "application/xml",
        "application/json",
        "application/ld+json",
        "application/rss+xml",
        "application/atom+xml",
    }
)
ALLOWED_TYPES = HTML_TYPES | TEXT_TYPES
ACCEPT = (
    "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,"
    "application/json;q=0.8,application/xml;q=0.8,*/*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate"


def parse_content_type(header: str | None) -> tuple[str, str | None]:
    """``(media type, charset)`` from a Content-Type header ("" when absent)."""
    if not header:
        return "", None
    msg = Message()
    msg["content-type"] = header
    charset = msg.get_param("charset")
    return msg.get_content_type().lower(), charset if isinstance(charset, str) else None


def check_content_type(media_type: str) -> str:
    """The media type to read the body as, or :class:`FetchRefused`."""
    if not media_type:
        return "text/plain"  # sniffed again from the body when it is read
    if media_type in ALLOWED_TYPES or media_type.endswith(("+json", "+xml")):
        return media_type
    raise FetchRefused(f"unsupported content type {media_type}")


class BoundedBody:
    """Collects at most ``limit`` decoded bytes of a body in ``gzip``/``deflate``/identity."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        encoding = (content_encoding or "identity").strip().lower()
        if encoding in ("", "identity"):
            self._mode = None
        elif encoding in ("gzip", "x-gzip"):
            self._mode = "gzip"
        elif encoding == "deflate":
            self._mode = "deflate"
        else:
            raise FetchRefused(f"unsupported content encoding {encoding}")
        self._decoder = self._new_decoder(zlib.MAX_WBITS if self._mode == "deflate" else 16 + zlib.MAX_WBITS)
        self._first = True
        self.limit = limit
        self.size = 0
        self.raw_size = 0
        self.truncated = False
        self._parts: list[bytes] = []

    def _new_decoder(self, wbits: int) -> zlib._Decompress | None:  # type: ignore[name-defined]
        return zlib.decompressobj(wbits) if self._mode else None

    def _take(self, data: bytes) -> None:
        room = self.limit - self.size
        if len(data) > room:
            data, self.truncated = data[:room], True
        self._parts.append(data)
        self.size += len(data)

    def feed(self, data: bytes) -> None:
        """Add raw (still encoded) bytes; sets ``truncated`` once the cap is reached."""
        if self.truncated or not data:
            return
        self.raw_size += len(data)
        if self._decoder is None:
            self._take(data)
            return
        try:
            self._inflate(data)
        except zlib.error:
            if not (self._first and self._mode == "deflate"):
                raise FetchError("corrupt compressed body") from None
            self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            self._inflate(data)
        self._first = False

    def _inflate(self, data: bytes) -> None:
        while data and not self.truncated:
            decoder = self._decoder
            assert decoder is not None
            out = decoder.decompress(data, self.limit - self.size + 1)  # never more than the room left
            self._take(out)
            data = decoder.unconsumed_tail
            if decoder.eof:
                data = decoder.unused_data
                if not data or self._mode != "gzip":
                    return
                self._decoder = self._new_decoder(16 + zlib.MAX_WBITS)  # next gzip member

    @property
    def body(self) -> bytes:
        return b"".join(self._parts)
