"""Search providers behind one small protocol, chosen by ``FUSION_SEARCH``.

=====================  =====================================================================
``FUSION_SEARCH``      provider
=====================  =====================================================================
unset, ``""``, ddgs    :class:`DdgsSearch`: the ``ddgs`` metasearch library, no key needed
``searxng:URL``        :class:`SearxngSearch`: a (self-hosted) SearXNG with JSON output on
``brave``              :class:`BraveSearch`: Brave Search API, key from ``BRAVE_API_KEY``
``tavily``             :class:`TavilySearch`: Tavily API, key from ``TAVILY_API_KEY``
``local:/path``        :class:`~fusion_tool.pipeline.research.corpus.LocalCorpus`: a folder of documents
=====================  =====================================================================

Providers return raw results; the tools object filters them by domain rules and fences them.
API keys live only in request headers: never in a URL, a log event or a ``repr``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from fusion_tool.core.config import SearchSettings
from fusion_tool.core.errors import ConfigError, SearchError
from fusion_tool.pipeline.research.results import SearchProvider, SearchResult, make_result
from fusion_tool.provider.http import SEARCH_TIMEOUT, search_client

ENV = "FUSION_SEARCH"


class DdgsSearch:
    """The default: ``ddgs`` (DuckDuckGo, Bing, Brave... scraped), imported on first use."""

    name = "ddgs"

    def __init__(
        self, *, timeout: int = 10, region: str = "us-en", safesearch: str = "moderate", backend: str = "auto"
    ) -> None:
        self.timeout, self.region, self.safesearch, self.backend = timeout, region, safesearch, backend

    def _run(self, query: str, max_results: int) -> list[dict[str, Any]]:
        try:
            from ddgs import DDGS
            from ddgs.exceptions import DDGSException
        except ImportError as exc:  # pragma: no cover - ddgs is a dependency
            raise SearchError("ddgs is not installed (pip install ddgs)") from exc
        try:
            return DDGS(timeout=self.timeout).text(
                query,
                region=self.region,
                safesearch=self.safesearch,
                max_results=max_results,
                backend=self.backend,
            )
        except DDGSException as exc:
            if "no results" in str(exc).lower():
                return []
            raise SearchError(f"ddgs search failed ({type(exc).__name__})") from None

    async def search(self, query: str, *, max_results: int) -> list[SearchResult]:
        rows = await asyncio.to_thread(self._run, query, max_results)
        results = (make_result(r.get("href") or r.get("url"), r.get("title"), r.get("body")) for r in rows)
        return [r for r in results if r][:max_results]


class _HttpSearch:
    """One search API over HTTP: the call, its errors and reading the rows of its JSON answer.

    A provider says what to ask (:meth:`_request`), where the rows sit in the answer (``rows_at``)
    and which field holds the snippet; ``transport`` lets tests answer in process.
    """

    name = "http"
    rows_at: tuple[str, ...] = ("results",)
    snippet_field = "content"

    def __init__(
        self, *, transport: httpx.AsyncBaseTransport | None = None, timeout: float = SEARCH_TIMEOUT
    ) -> None:
        self._transport = transport
        self._timeout = timeout

    def _request(self, query: str, max_results: int) -> tuple[str, str, dict[str, Any]]:
        """The method, URL and ``httpx`` request options of one search."""
        raise NotImplementedError

    async def search(self, query: str, *, max_results: int) -> list[SearchResult]:
        method, url, options = self._request(query, max_results)
        rows = self._rows(await self._json(method, url, **options))
        results = (make_result(r.get("url"), r.get("title"), r.get(self.snippet_field)) for r in rows)
        return [r for r in results if r][:max_results]

    async def _json(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with search_client(transport=self._transport, timeout=self._timeout) as client:
                resp = await client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise SearchError(f"{self.name} search failed ({type(exc).__name__})") from None
        if resp.status_code >= 400:
            raise SearchError(f"{self.name} search failed (HTTP {resp.status_code})")
        try:
            return resp.json()
        except ValueError:
            raise SearchError(f"{self.name} search answered something that is not JSON") from None

    def _rows(self, data: Any) -> list[dict[str, Any]]:
        for key in self.rows_at:
            data = data.get(key) if isinstance(data, dict) else None
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


class _KeyedSearch(_HttpSearch):
    """A search API with a key, which travels in a header only and never shows in a ``repr``."""

    def __init__(self, api_key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_key=***)"


class SearxngSearch(_HttpSearch):
    """A SearXNG instance (``search.formats`` must include ``json`` in its settings)."""

    name = "searxng"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        url = httpx.URL(base_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(ENV, f"searxng needs an http(s) URL, got {base_url!r}")
        self.base_url = str(url).rstrip("/")

    def __repr__(self) -> str:
        return f"SearxngSearch({httpx.URL(self.base_url).copy_with(userinfo=b'')!s})"

    def _request(self, query: str, max_results: int) -> tuple[str, str, dict[str, Any]]:
        return "GET", f"{self.base_url}/search", {"params": {"q": query, "format": "json"}}


class BraveSearch(_KeyedSearch):
    """Brave Search API (``X-Subscription-Token``)."""

    name = "brave"
    endpoint = "https://api.search.brave.com/res/v1/web/search"
    rows_at = ("web", "results")
    snippet_field = "description"

    def _request(self, query: str, max_results: int) -> tuple[str, str, dict[str, Any]]:
        headers = {"Accept": "application/json", "X-Subscription-Token": self._key}
        return "GET", self.endpoint, {"params": {"q": query, "count": min(max_results, 20)}, "headers": headers}


class TavilySearch(_KeyedSearch):
    """Tavily API (a bearer token)."""

    name = "tavily"
    endpoint = "https://api.tavily.com/search"

    def _request(self, query: str, max_results: int) -> tuple[str, str, dict[str, Any]]:
        payload = {"query": query, "max_results": min(max_results, 20), "search_depth": "basic"}
        return "POST", self.endpoint, {"json": payload, "headers": {"Authorization": f"Bearer {self._key}"}}


def _key(env: Mapping[str, str], name: str, provider: str) -> str:
    key = (env.get(name) or "").strip()
    if not key:
        raise ConfigError(ENV, f"{provider} search needs the environment variable {name}")
    return key


def search_provider_from_env(value: str | None, *, env: Mapping[str, str] | None = None) -> SearchProvider:
    """The provider a ``FUSION_SEARCH`` value names; its key comes from ``env`` (default: the
    environment's, as :class:`~fusion_tool.core.config.SearchSettings` reads it)."""
    env = SearchSettings.from_env().keys if env is None else env
    spec = (value or "").strip()
    kind, _, arg = spec.partition(":")
    kind = kind.lower()
    if kind in ("", "ddgs", "duckduckgo"):
        return DdgsSearch()
    if kind == "searxng" and arg:
        return SearxngSearch(arg)
    if kind == "brave" and not arg:
        return BraveSearch(_key(env, "BRAVE_API_KEY", "brave"))
    if kind == "tavily" and not arg:
        return TavilySearch(_key(env, "TAVILY_API_KEY", "tavily"))
    if kind == "local" and arg:
        from fusion_tool.pipeline.research.corpus import LocalCorpus

        path = Path(arg).expanduser()
        if not path.is_dir():
            raise ConfigError(ENV, f"local search needs an existing folder, got {arg!r}")
        return LocalCorpus(path)
    raise ConfigError(
        ENV, f"unknown search provider {spec!r}; use ddgs, searxng:URL, brave, tavily or local:/path"
    )
