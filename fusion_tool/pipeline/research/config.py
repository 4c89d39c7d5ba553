"""``ResearchConfig``: the panelists' tools as the plugin's ``tools`` parameter sets them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core.errors import ConfigError
from fusion_tool.pipeline.research.domains import DomainRules

DEFAULT_MAX_RESULTS = 5
DEFAULT_MAX_CONTENT_TOKENS = 8_000
CHARS_PER_TOKEN = 4
SEARCH_TYPE = "openrouter:web_search"
FETCH_TYPE = "openrouter:web_fetch"


@dataclass(frozen=True)
class ResearchConfig:
    """Which tools a panelist has and their limits; ``ResearchConfig.from_tools`` builds one.

    Attributes:
        search: Whether ``web_search`` is offered.
        fetch: Whether ``web_fetch`` is offered.
        max_results: The most results one ``web_search`` returns.
        search_rules: The domains search results may come from.
        fetch_rules: The domains ``web_fetch`` may read.
        max_uses: ``web_fetch`` calls per panelist; None: only ``max_tool_calls`` limits them.
        max_content_tokens: The cap on one fetched page's text, in tokens (about 4 characters each).
    """

    search: bool = True
    fetch: bool = True
    max_results: int = DEFAULT_MAX_RESULTS
    search_rules: DomainRules = field(default_factory=DomainRules)
    fetch_rules: DomainRules = field(default_factory=DomainRules)
    max_uses: int | None = None
    max_content_tokens: int = DEFAULT_MAX_CONTENT_TOKENS

    @property
    def enabled(self) -> bool:
        return self.search or self.fetch

    @property
    def max_chars(self) -> int:
        return self.max_content_tokens * CHARS_PER_TOKEN

    @classmethod
    def off(cls) -> ResearchConfig:
        return cls(search=False, fetch=False)

    @classmethod
    def from_tools(
        cls,
        tools: Sequence[Mapping[str, Any]] | None,
        *,
        excluded_domains: Iterable[str] | None = None,
        field_name: str = "tools",
    ) -> ResearchConfig:
        """From the plugin/tool ``tools`` list: None = both tools with defaults, [] = none.

        ``excluded_domains`` (the plugin-level list) applies to search and fetch alike.
        """
        excluded = list(excluded_domains or ())
        if tools is None:
            rules = DomainRules.of(blocked=excluded, field_name="excluded_domains")
            return cls(search_rules=rules, fetch_rules=rules)
        search = fetch = None
        for i, entry in enumerate(tools):
            kind = entry.get("type") if isinstance(entry, Mapping) else None
            params = (entry.get("parameters") or {}) if isinstance(entry, Mapping) else {}
            if kind == SEARCH_TYPE:
                search = params
            elif kind == FETCH_TYPE:
                fetch = params
            else:
                raise ConfigError(f"{field_name}[{i}].type", f"unknown panelist tool {kind!r}")
        s, f = search or {}, fetch or {}
        search_rules = DomainRules.of(
            s.get("allowed_domains"), s.get("excluded_domains"), field_name=f"{field_name}.web_search"
        ).with_blocked(excluded)
        fetch_rules = DomainRules.of(
            f.get("allowed_domains"), f.get("blocked_domains"), field_name=f"{field_name}.web_fetch"
        ).with_blocked(excluded)
        return cls(
            search=search is not None,
            fetch=fetch is not None,
            max_results=int(s.get("max_results") or DEFAULT_MAX_RESULTS),
            search_rules=search_rules,
            fetch_rules=fetch_rules,
            max_uses=f.get("max_uses"),
            max_content_tokens=int(f.get("max_content_tokens") or DEFAULT_MAX_CONTENT_TOKENS),
        )
