"""What a search returns: :class:`SearchResult`, and the :class:`SearchProvider` protocol.

Its own module so the providers (``search.py``) and the offline corpus (``corpus.py``) both
build results without importing each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class SearchResult:
    """One search hit as the panelist sees it.

    Attributes:
        url: where the hit points (http(s), or ``corpus://`` for a local corpus).
        title: the hit's title, tags dropped, at most 200 characters.
        snippet: the text around the match, tags dropped, at most 600 characters.
    """

    url: str
    title: str
    snippet: str = ""


@runtime_checkable
class SearchProvider(Protocol):
    """Anything that answers a query with results: a web search API, ddgs, a local corpus."""

    name: str

    async def search(self, query: str, *, max_results: int) -> list[SearchResult]: ...


def _clean(text: Any, limit: int) -> str:
    text = " ".join(_TAG.sub("", str(text or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def make_result(url: Any, title: Any, snippet: Any) -> SearchResult | None:
    """A tidy result (tags and extra whitespace dropped, lengths capped), None without a URL."""
    url = str(url or "").strip()
    if not url:
        return None
    return SearchResult(url=url, title=_clean(title, 200) or url, snippet=_clean(snippet, 600))
