"""What a fetch returns, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass

from fusion_tool.core.errors import FusionError


class FetchError(FusionError):
    """A page could not be fetched; ``reason`` is a short sentence fit for the model."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class FetchRefused(FetchError):
    """The fetch was refused by policy before (or instead of) a request."""


@dataclass(frozen=True)
class Page:
    """A fetched document as readable text."""

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
