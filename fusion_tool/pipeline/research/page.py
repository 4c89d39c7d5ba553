"""What a fetch returns (its errors, FetchError and FetchRefused, are in core.errors)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A fetched document as readable text.

    Attributes:
        url: Where it was read (after redirects; a ``corpus://`` URL for a local document).
        title: Its title, else its URL.
        text: Its readable text, capped (marked where the cap cut it).
        content_type: The media type it was read as.
        status: The HTTP status.
        bytes_read: Bytes of body read.
        truncated: Whether the text (or the body) was cut.
    """

    url: str
    title: str
    text: str
    content_type: str
    status: int = 200
    bytes_read: int = 0
    truncated: bool = False


def truncate(text: str, max_chars: int, *, cut: bool = False) -> tuple[str, bool]:
    """``text`` cut to ``max_chars``, marked when anything was dropped (``cut``: already was)."""
    if len(text) > max_chars:
        text, cut = text[:max_chars], True
    if cut:
        return f"{text.rstrip()}\n[truncated at {len(text)} characters]", True
    return text, False
