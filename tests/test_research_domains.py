"""Domain rules: patterns, their matching, and their enforcement before any request leaves."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fusion_tool.core.errors import ConfigError
from fusion_tool.pipeline.research import (
    DomainPattern,
    DomainRules,
    Research,
    ResearchConfig,
    SafeFetcher,
    SearchResult,
)


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("example.com", "https://example.com/", True),
        ("example.com", "https://www.example.com/a", True),
        ("example.com", "https://a.b.example.com/", True),
        ("example.com", "https://notexample.com/", False),
        ("example.com", "https://example.com.evil.org/", False),
        ("example.com", "https://example.co/", False),
        ("Example.COM", "https://WWW.EXAMPLE.COM./", True),
        ("example.com.", "https://example.com/", True),
        ("example.com", "https://example.com:8443/x", True),
        ("*.example.com", "https://example.com/", False),
        ("*.example.com", "https://api.example.com/", True),
        ("*.example.com", "https://x.api.example.com/", True),
        (".example.com", "https://example.com/", True),
        ("example.com/blog", "https://example.com/blog", True),
        ("example.com/blog", "https://example.com/blog/", True),
        ("example.com/blog", "https://www.example.com/Blog/post?id=1", True),
        ("example.com/blog", "https://example.com/blogger", False),
        ("example.com/blog", "https://example.com/", False),
        ("example.com/blog", "https://example.com/about/../blog/x", True),
        ("example.com/blog", "https://example.com/%62log/x", True),
        ("example.com/blog/", "https://example.com/blog/x", True),
        ("https://example.com/blog", "https://example.com/blog/x", True),
        ("münchen.de", "https://www.xn--mnchen-3ya.de/", True),
        ("xn--mnchen-3ya.de", "https://münchen.de/", True),
        ("93.184.216.34", "http://93.184.216.34/", True),
        ("93.184.216.34", "http://1572395042/", True),  # the same address, spelled as one number
        ("corpus", "corpus://corpus/a.md", True),
    ],
)
def test_pattern_table(pattern: str, url: str, matches: bool) -> None:
    assert (DomainRules.of(blocked=[pattern]).refusal(url) == "blocked domain") is matches
    assert (DomainRules.of(allowed=[pattern]).refusal(url) is None) is matches


@pytest.mark.parametrize(
    "bad", ["", "   ", "*", "*.", "exa*mple.com", "user@example.com", "http://", "/path-only"]
)
def test_bad_patterns_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        DomainPattern.parse(bad, field_name="tools.web_fetch")


def test_rules_combine_allowed_and_blocked() -> None:
    rules = DomainRules.of(allowed=["docs.example.com", "python.org"], blocked=["docs.example.com/private"])
    assert rules.permits("https://docs.example.com/guide")
    assert rules.refusal("https://docs.example.com/private/key") == "blocked domain"
    assert rules.refusal("https://example.com/") == "domain not in allowed_domains"
    assert rules.permits("https://www.python.org/")
    assert rules.refusal("not a url at all") == "malformed URL"
    assert not DomainRules() and rules


# --------------------------------------------------------------------------- properties

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)  # a numeric last label makes an IP address, not a name
domain = st.tuples(st.lists(label, min_size=1, max_size=3), tld).map(lambda t: ".".join([*t[0], t[1]]))
path = st.lists(st.from_regex(r"[a-zA-Z0-9_-]{1,8}", fullmatch=True), max_size=3).map(
    lambda p: "/" + "/".join(p)
)


@settings(max_examples=200, deadline=None)
@given(excluded=domain, subs=st.lists(label, max_size=3), p=path, upper=st.booleans(), dot=st.booleans())
def test_a_subdomain_of_an_excluded_domain_is_always_excluded(
    excluded: str, subs: list[str], p: str, upper: bool, dot: bool
) -> None:
    host = ".".join([*subs, excluded])
    host = host.upper() if upper else host
    rules = DomainRules.of(blocked=[excluded])
    assert rules.refusal(f"https://{host}{'.' if dot else ''}{p}") == "blocked domain"


@settings(max_examples=200, deadline=None)
@given(excluded=domain, prefix=label, p=path)
def test_a_name_that_merely_contains_the_excluded_one_is_not_excluded(
    excluded: str, prefix: str, p: str
) -> None:
    lookalike = prefix + excluded  # "notexample.com" for "example.com"
    assume(not lookalike.endswith("." + excluded))
    rules = DomainRules.of(blocked=[excluded])
    assert rules.permits(f"https://{lookalike}{p}")
    assert rules.permits(f"https://{excluded}.{prefix}.net{p}")  # "example.com.evil.net"


@settings(max_examples=200, deadline=None)
@given(site=domain, base=path, rest=path)
def test_path_prefixes_match_whole_segments(site: str, base: str, rest: str) -> None:
    assume(base != "/")
    rules = DomainRules.of(blocked=[site + base])
    assert rules.refusal(f"https://{site}{base}{rest}") == "blocked domain"
    assert rules.permits(f"https://{site}{base}x{rest}")


# --------------------------------------------------------------------------- enforcement


class FakeSearch:
    name = "fake"

    async def search(self, query: str, *, max_results: int) -> list[SearchResult]:
        return [
            SearchResult("https://leaks.example.com/answers", "The answer key", "LEAKED ANSWER 42"),
            SearchResult("https://www.leaks.example.com./mirror", "Mirror", "LEAKED MIRROR"),
            SearchResult("https://good.example.org/paper", "A paper", "honest source"),
            SearchResult("https://notleaks.example.net/", "Lookalike", "also fine"),
            SearchResult("https://blog.example.org/drafts/x", "Draft", "LEAKED DRAFT"),
        ]


def test_excluded_search_results_never_reach_the_model() -> None:
    cfg = ResearchConfig.from_tools(
        [{"type": "openrouter:web_search", "parameters": {"excluded_domains": ["blog.example.org/drafts"]}}],
        excluded_domains=["leaks.example.com"],
    )
    research = Research(cfg, search=FakeSearch())
    message = run(research.call("web_search", json.dumps({"query": "answer"})))
    assert "LEAKED" not in message and "leaks.example.com/" not in message
    assert "honest source" in message and "also fine" in message
    assert [s.url for s in research.sources] == [
        "https://good.example.org/paper",
        "https://notleaks.example.net/",
    ]


def test_allowed_domains_on_search_keep_only_those() -> None:
    cfg = ResearchConfig.from_tools(
        [{"type": "openrouter:web_search", "parameters": {"allowed_domains": ["example.org"]}}]
    )
    message = run(Research(cfg, search=FakeSearch()).call("web_search", '{"query": "q"}'))
    assert "honest source" in message and "LEAKED DRAFT" in message
    assert "also fine" not in message and "LEAKED ANSWER" not in message


class RecordingResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return ["93.184.216.34"]


@pytest.mark.parametrize(
    ("tools", "plugin_excluded", "url", "reason"),
    [
        (
            [{"type": "openrouter:web_fetch", "parameters": {"blocked_domains": ["example.com"]}}],
            None,
            "https://www.example.com/x",
            "blocked domain",
        ),
        (
            [{"type": "openrouter:web_fetch", "parameters": {"allowed_domains": ["python.org"]}}],
            None,
            "https://example.com/",
            "domain not in allowed_domains",
        ),
        (None, ["answers.example"], "https://cdn.ANSWERS.example./key.json", "blocked domain"),
        (
            [{"type": "openrouter:web_fetch"}],
            ["example.com/private"],
            "https://example.com/private/x",
            "blocked domain",
        ),
    ],
)
def test_blocked_fetches_are_refused_before_any_lookup(
    tools: list | None, plugin_excluded: list | None, url: str, reason: str
) -> None:
    resolver = RecordingResolver()
    research = Research(
        ResearchConfig.from_tools(tools, excluded_domains=plugin_excluded),
        fetcher=SafeFetcher(resolve=resolver),
    )
    assert run(research.call("web_fetch", json.dumps({"url": url}))) == f"web_fetch refused: {reason}"
    assert resolver.calls == []
    assert research.sources == []


def test_plugin_excluded_domains_apply_to_search_and_fetch() -> None:
    cfg = ResearchConfig.from_tools(None, excluded_domains=["leaks.example.com"])
    assert cfg.search and cfg.fetch
    assert cfg.search_rules.refusal("https://a.leaks.example.com/") == "blocked domain"
    assert cfg.fetch_rules.refusal("https://a.leaks.example.com/") == "blocked domain"
    cfg = ResearchConfig.from_tools(
        [
            {"type": "openrouter:web_search"},
            {"type": "openrouter:web_fetch", "parameters": {"max_uses": 3, "max_content_tokens": 500}},
        ],
        excluded_domains=["x.org"],
    )
    assert cfg.fetch_rules.refusal("https://x.org/") == "blocked domain" and cfg.search_rules.refusal(
        "https://x.org/"
    )
    assert cfg.max_uses == 3 and cfg.max_chars == 2000
