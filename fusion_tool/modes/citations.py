"""Citations: ``url_citation`` annotations for the URLs an answer cites, if they were retrieved.

A URL counts as a source only if some panelist actually retrieved it (a search result shown
or a page fetched). Any other URL in the answer is not annotated and is listed in the trace as
unverified: an invented URL is never presented as a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_URL = re.compile(r"""(?:https?|corpus)://[^\s<>"'`\]\[{}|\\^]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)»”’'\""


def _key(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower().rstrip("."), path, parts.query, ""))


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the URL (Wikipedia style)
        url = url[:-1]
    return url


def annotate(text: str, sources: Iterable[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The annotations for ``text`` and the URLs it cites that nobody retrieved."""
    known = {}
    for source in sources:
        known.setdefault(_key(source.url), source)
    annotations: list[dict[str, Any]] = []
    unverified: list[str] = []
    for match in _URL.finditer(text or ""):
        url = _trim(match.group(0))
        source = known.get(_key(url))
        if source is None:
            if url not in unverified:
                unverified.append(url)
            continue
        start = match.start()
        annotations.append({
            "type": "url_citation",
            "url_citation": {"url": source.url, "title": source.title or source.url,
                             "start_index": start, "end_index": start + len(url)},
        })
    return annotations, unverified
