"""Panelist research tools: web search providers, a safe fetcher and the tools object.

from fusion_tool.pipeline.research import ResearchConfig, Research, SafeFetcher, search_provider_from_env

research = Research(ResearchConfig.from_tools(tools), search=search_provider_from_env(None))
research.definitions()                      # OpenAI function tools: web_search, web_fetch
await research.call("web_fetch", '{"url": "https://example.com"}')
research.sources                            # every URL shown or read, for citations
"""

from fusion_tool.core.errors import FetchError, FetchRefused, SearchError
from fusion_tool.pipeline.research.config import ResearchConfig
from fusion_tool.pipeline.research.corpus import LocalCorpus
from fusion_tool.pipeline.research.domains import DomainPattern, DomainRules
from fusion_tool.pipeline.research.fetch import SafeFetcher
from fusion_tool.pipeline.research.page import Page
from fusion_tool.pipeline.research.results import SearchProvider, SearchResult
from fusion_tool.pipeline.research.search import (
    BraveSearch,
    DdgsSearch,
    SearxngSearch,
    TavilySearch,
    search_provider_from_env,
)
from fusion_tool.pipeline.research.tools import Research, Source

__all__ = [
    "BraveSearch",
    "DdgsSearch",
    "DomainPattern",
    "DomainRules",
    "FetchError",
    "FetchRefused",
    "LocalCorpus",
    "Page",
    "Research",
    "ResearchConfig",
    "SafeFetcher",
    "SearchError",
    "SearchProvider",
    "SearchResult",
    "SearxngSearch",
    "Source",
    "TavilySearch",
    "search_provider_from_env",
]
