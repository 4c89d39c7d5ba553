"""Domain rules: ``allowed_domains`` / ``excluded_domains`` / ``blocked_domains``.

A pattern is one of

* ``example.com``       the domain and every subdomain (``www.example.com``, ``a.b.example.com``)
* ``*.example.com``     subdomains only, not ``example.com`` itself
* ``example.com/blog``  the domain (and subdomains) under that path: ``/blog`` and ``/blog/...``
  (whole path segments, so ``/blogger`` is not under ``/blog``)

Matching is case-insensitive, trailing dots are ignored, internationalised names compare in
their IDNA (``xn--``) form, numeric IPv4 spellings compare as the address they mean, and paths
compare percent-decoded with ``.``/``..`` segments resolved. A name that merely contains the
pattern (``notexample.com`` for ``example.com``) never matches.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx

from fusion_tool.core.errors import ConfigError, HostError
from fusion_tool.pipeline.research.addresses import classify_host

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_PORT = re.compile(r":\d*$")


def normalize_host(host: str) -> str:
    """Lower-case ASCII host without trailing dots; IPv4 spellings made canonical."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return ""
    if not host.isascii():
        host = httpx.URL(f"http://{host}/").raw_host.decode("ascii")
    try:
        kind = classify_host(host)
    except HostError:
        return host
    return kind if isinstance(kind, str) else str(kind)


def normalize_path(path: str) -> str:
    """Decoded, lower-case path with dot segments resolved and no trailing slash ("" = root)."""
    path = unquote(path or "/").lower()
    path = posixpath.normpath("/" + path.lstrip("/"))
    path = re.sub(r"^/+", "/", path)
    return "" if path == "/" else path.rstrip("/")


@dataclass(frozen=True)
class DomainPattern:
    """One domain pattern: ``example.com`` (and its subdomains), ``*.example.com`` (subdomains
    only), either with a path prefix (``example.com/docs``).

    Attributes:
        host: The normalised host.
        subdomains_only: Written ``*.host``: the host itself does not match.
        path: The normalised path prefix; ``""``: any path.
    """

    host: str
    subdomains_only: bool = False
    path: str = ""

    @classmethod
    def parse(cls, text: str, *, field_name: str = "domains") -> DomainPattern:
        raw = str(text).strip().lower()
        raw = _SCHEME.sub("", raw)
        host, _, path = raw.partition("/")
        subdomains_only = host.startswith("*.")
        host = _PORT.sub("", host.removeprefix("*.").lstrip("."))
        try:
            host = normalize_host(host)
        except (httpx.InvalidURL, UnicodeError, ValueError):
            host = ""
        if not host or "*" in host or "@" in host:
            raise ConfigError(field_name, f"not a domain pattern: {text!r}")
        return cls(host=host, subdomains_only=subdomains_only, path=normalize_path(path))

    def matches(self, host: str, path: str) -> bool:
        """``host`` and ``path`` as :func:`normalize_host` / :func:`normalize_path` give them."""
        on_sub = host.endswith("." + self.host)
        if not (on_sub or (host == self.host and not self.subdomains_only)):
            return False
        return not self.path or path == self.path or path.startswith(self.path + "/")

    def __str__(self) -> str:
        return ("*." if self.subdomains_only else "") + self.host + self.path


def _url_parts(url: str | httpx.URL) -> tuple[str, str] | None:
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(str(url).strip())
        host = normalize_host(parsed.raw_host.decode("ascii"))
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError):
        return None
    if not host:
        return None
    return host, normalize_path(parsed.path)


def _patterns(items: Iterable[str] | None, field_name: str) -> tuple[DomainPattern, ...]:
    return tuple(DomainPattern.parse(d, field_name=field_name) for d in (items or ()))


@dataclass(frozen=True)
class DomainRules:
    """Allowed and blocked patterns; an empty ``allowed`` allows every domain.

    Attributes:
        allowed: The patterns a URL must match one of; empty: any.
        blocked: The patterns no URL may match (they win over ``allowed``).
    """

    allowed: tuple[DomainPattern, ...] = field(default=())
    blocked: tuple[DomainPattern, ...] = field(default=())

    @classmethod
    def of(
        cls,
        allowed: Iterable[str] | None = None,
        blocked: Iterable[str] | None = None,
        *,
        field_name: str = "domains",
    ) -> DomainRules:
        return cls(_patterns(allowed, field_name), _patterns(blocked, field_name))

    def with_blocked(
        self, more: Iterable[str] | None, *, field_name: str = "excluded_domains"
    ) -> DomainRules:
        return DomainRules(self.allowed, self.blocked + _patterns(more, field_name))

    def refusal(self, url: str | httpx.URL) -> str | None:
        """Why ``url`` is outside these rules, or None when it is inside."""
        parts = _url_parts(url)
        if parts is None:
            return "malformed URL"
        host, path = parts
        if any(p.matches(host, path) for p in self.blocked):
            return "blocked domain"
        if self.allowed and not any(p.matches(host, path) for p in self.allowed):
            return "domain not in allowed_domains"
        return None

    def permits(self, url: str | httpx.URL) -> bool:
        return self.refusal(url) is None

    def __bool__(self) -> bool:
        return bool(self.allowed or self.blocked)
