"""Research through the whole pipeline: panelists' tool loops, domain rules, citations."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.pipeline.research import SearchResult
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import ANALYSIS, JUDGE, PANEL, is_writer

CORPUS = Path(__file__).parent / "data" / "corpus"
INVENTED = "https://made-up.example.org/bread-facts"
QUESTION = [{"role": "user", "content": "What makes a sourdough starter active, and how should it be fed?"}]


def tool_texts(req: ScriptedRequest) -> list[str]:
    return [m["content"] for m in req.messages if m["role"] == "tool"]


def researcher(query: str, fetch_first: bool = False):
    """Searches, optionally reads the first hit, then answers citing what it saw plus an invented URL."""
    def behaviour(req: ScriptedRequest) -> Reply:
        seen = tool_texts(req)
        urls = [u for t in seen for u in re.findall(r'url="([^"]+)"', t)]
        if not seen:
            return Reply(tool_calls=[ToolCall("web_search", {"query": query})])
        if fetch_first and len(seen) == 1 and urls:
            return Reply(tool_calls=[ToolCall("web_fetch", {"url": urls[0]})])
        return Reply(text=f"Feed it flour and water daily ({urls[0]}). See also {INVENTED}.")
    return behaviour


def writer_citing_the_panel(req: ScriptedRequest) -> Reply:
    if not is_writer(req):
        return Reply(json=ANALYSIS)
    result = json.loads(next(m for m in req.messages if m["role"] == "tool")["content"])
    cited = " ".join(r["content"] for r in result["responses"])
    return Reply(text=f"Summary: {cited}")


async def test_panelists_research_and_only_retrieved_urls_are_cited(provider):
    provider.add(PANEL[0], researcher("sourdough starter feeding", fetch_first=True))
    provider.add(PANEL[1], researcher("starter hydration"))
    provider.add(JUDGE, writer_citing_the_panel)
    config = FusionConfig(panel=PANEL[:2], judge=JUDGE, search=f"local:{CORPUS}", max_tool_calls=3)
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=QUESTION)
    message = completion.choices[0].message
    # the panelist really ran its loop: a search, then a fetch of a corpus document
    first = provider.requests_for(PANEL[0])
    assert [r.tool_names for r in first][0] == ["web_search", "web_fetch"]
    assert len(first) == 3 and "sourdough" in tool_texts(first[-1])[-1].lower()
    cited = [a.url_citation.url for a in message.annotations]
    assert cited and all(u.startswith("corpus://") for u in cited)
    for a in message.annotations:  # the indices point at the URL in the text
        assert message.content[a.url_citation.start_index:a.url_citation.end_index] == a.url_citation.url
    assert INVENTED not in cited
    assert completion.fusion["trace"]["unverified_urls"] == [INVENTED]


class FakeSearch:
    def __init__(self):
        self.queries = []

    async def search(self, query, *, max_results):
        self.queries.append(query)
        return [SearchResult("https://blocked.example.com/rubric", "The rubric", "answers"),
                SearchResult("https://sub.blocked.example.com/x", "Also blocked", "answers"),
                SearchResult("https://fine.example.net/page", "Fine", "useful")]


async def test_a_search_result_from_an_excluded_domain_never_reaches_a_panelist(provider, monkeypatch):
    fake = FakeSearch()  # the configured search provider, as FUSION_SEARCH would choose it
    monkeypatch.setattr("fusion_tool.pipeline.research.search_provider_from_env", lambda value, **kw: fake)
    for model in PANEL:
        provider.add(model, researcher("anything"))
    plugin = {"id": "fusion", "analysis_models": list(PANEL), "model": JUDGE,
              "excluded_domains": ["blocked.example.com"]}
    client = wrap_openai(provider.openai(), config=FusionConfig())
    completion = client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, plugins=[plugin])
    assert completion.fusion["status"] == "ok" and fake.queries
    for model in PANEL:
        for req in provider.requests_for(model):
            for text in tool_texts(req):
                assert "blocked.example.com" not in text
                assert "fine.example.net" in text


async def test_tools_off_means_no_tools_offered(provider, config):
    client = wrap_openai(provider.async_openai(), config=config.replace(tools=None))
    await client.chat.completions.create(
        model="openrouter/fusion", messages=QUESTION,
        plugins=[{"id": "fusion", "tools": []}])
    assert all(r.tools == [] for r in provider.requests if not is_writer(r))  # panel and judge
    assert len(provider.requests) == 5
