"""Parsing a URL the model asked for, with the same parser the HTTP client uses (``httpx.URL``).

Refused outright, before any host is looked at: schemes other than http/https, userinfo
(``user:pw@`` or a bare ``@``), backslashes (``http://127.0.0.1\\@example.com`` means different
hosts to different parsers), control, format and whitespace characters, and overlong URLs.
"""

from __future__ import annotations

import unicodedata

import httpx

from fusion_tool.core.errors import FetchRefused

MAX_URL_LENGTH = 2048
SCHEMES = ("http", "https")


def _authority(raw: str) -> str:
    rest = raw.split("://", 1)[1] if "://" in raw else ""
    for stop in "/?#":
        rest = rest.split(stop, 1)[0]
    return rest


def parse_url(raw: str) -> httpx.URL:
    """The URL as ``httpx.URL``, or :class:`FetchRefused` with a short reason."""
    if not isinstance(raw, str):
        raise FetchRefused("URL must be a string")
    raw = raw.strip()
    if not raw:
        raise FetchRefused("empty URL")
    if len(raw) > MAX_URL_LENGTH:
        raise FetchRefused("URL too long")
    if "\\" in raw:
        raise FetchRefused("backslash in URL")
    if any(unicodedata.category(c)[0] in "CZ" for c in raw):
        raise FetchRefused("control or space character in URL")
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("malformed URL") from None
    if url.scheme not in SCHEMES:
        raise FetchRefused("only http and https URLs can be fetched")
    if url.userinfo or "@" in _authority(raw):
        raise FetchRefused("credentials in URL")
    if not url.raw_host:
        raise FetchRefused("URL has no host")
    return url


def default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)
