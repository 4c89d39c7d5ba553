"""Tests that bite: each one catches a realistic bug that survived the suite once (issue 14's
planted bugs), by asserting what a user relies on against a figure the code under test did not
compute (the scripted provider's own record of what it was sent and what it reported)."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from fusion_tool import FusionConfig, fuse, should_deliberate, wrap_openai
from fusion_tool.core.log import configure
from fusion_tool.modes.citations import annotate
from fusion_tool.pipeline.fence import unfence
from fusion_tool.pipeline.judge import build_prompt
from fusion_tool.pipeline.panel import Seat
from fusion_tool.pipeline.research import SearchResult, Source
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import ANALYSIS, JUDGE, PANEL, is_writer, panelist

MESSAGES = [{"role": "user", "content": "At what temperature does water boil, and why does it vary?"}]
FUSION = "openrouter/fusion"
PLAIN = "plain/model"
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


def provider_totals(provider) -> dict:
    """What the provider itself reported, summed over every request it answered."""
    return provider.total_usage()


def writer_requests(provider) -> list[ScriptedRequest]:
    return [r for r in provider.requests_for(JUDGE) if is_writer(r)]


# -- usage: every inner call's tokens, the writer's included -----------------------------------------


async def test_alias_usage_sums_every_field_the_provider_reported(provider, config):
    provider.add(JUDGE, lambda req: Reply(text="A fused answer of several words, from the writer.") if is_writer(req)
                 else Reply(json=ANALYSIS))
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model=FUSION, messages=MESSAGES)
    reported = provider_totals(provider)
    for name in USAGE_FIELDS:
        assert getattr(completion.usage, name) == reported[name], name
    assert completion.usage.cost == pytest.approx(reported["cost"])
    writer = writer_requests(provider)[-1].usage
    assert writer["completion_tokens"] > 0
    record = next(c for c in completion.fusion["calls"] if c["stage"] == "writer")
    assert {k: record[k] for k in USAGE_FIELDS} == {k: writer[k] for k in USAGE_FIELDS}


@pytest.mark.parametrize("mode", ["alias", "tool"])
def test_streamed_usage_sums_every_field_the_provider_reported(provider, config, mode):
    provider.add(JUDGE, lambda req: Reply(text="A streamed fused answer, in many small pieces.", chunk_size=4)
                 if is_writer(req) else Reply(json=ANALYSIS))
    provider.add("agent/m", _calling_model)
    client = wrap_openai(provider.openai(), config=config)
    kwargs = {"model": FUSION} if mode == "alias" else {"model": "agent/m", "tools": [{"type": "openrouter:fusion"}]}
    chunks = list(client.chat.completions.create(messages=HARD_MESSAGES, stream=True,
                                                 stream_options={"include_usage": True}, **kwargs))
    closing = chunks[-1]
    reported = provider_totals(provider)
    for name in USAGE_FIELDS:
        assert getattr(closing.usage, name) == reported[name], name
    assert closing.usage.cost == pytest.approx(reported["cost"])
    last = provider.requests[-1]  # the writer (alias) or the calling model's last turn (tool)
    assert last.stream and last.usage["completion_tokens"] > 0


# -- the judge: shuffled answers, temperature 0 ------------------------------------------------------


def test_the_judge_sees_the_answers_in_a_shuffled_order_and_the_labels_follow_it():
    seats = [Seat(i, f"model-{i}", content=f"answer number {i}") for i in range(4)]
    firsts = Counter()
    for _ in range(200):
        _, labels, block = build_prompt("q", seats)
        fenced = unfence(block, kind="RESPONSE")
        # the n-th fence holds the answer of the model labelled "Response n", in whatever order
        assert [f"answer number {m.split('-')[1]}" for m in labels.values()] == fenced
        assert list(labels) == [f"Response {i}" for i in range(1, 5)]
        firsts[labels["Response 1"]] += 1
    # no order is favoured: every model leads sometimes (a 4-seat panel: 50 times in 200, on average)
    assert set(firsts) == {s.model for s in seats} and min(firsts.values()) >= 20, firsts


def test_a_seeded_shuffle_is_the_seeds_own_order():
    seats = [Seat(i, f"model-{i}", content=f"answer {i}") for i in range(5)]
    order = list(seats)
    random.Random(7).shuffle(order)
    _, labels, _ = build_prompt("q", seats, random.Random(7))
    assert list(labels.values()) == [s.model for s in order] != [s.model for s in seats]


async def test_the_panel_order_reaches_the_judge_shuffled(provider, config):
    orders = set()
    for _ in range(12):
        provider.reset()
        await fuse("q", config=config, client=provider.async_openai())
        judge = next(r for r in provider.requests_for(JUDGE) if not is_writer(r))
        text = judge.messages[1]["content"]
        orders.add(tuple(sorted("ABC", key=lambda letter: text.index(f"Answer {letter}:"))))
    assert len(orders) > 1  # twelve runs in one order: 1 chance in 6**11 if shuffled


async def test_the_judge_runs_at_temperature_zero_whatever_the_panel_runs_at(provider, config):
    bad_then_good = iter([Reply(text="not json at all"), Reply(json=ANALYSIS)])
    provider.add(JUDGE, lambda req: Reply(text="ok") if is_writer(req) else next(bad_then_good))
    result = await fuse("q", config=config.replace(temperature=0.9), client=provider.async_openai())
    assert result.analysis is not None
    judge = [r for r in provider.requests_for(JUDGE) if not is_writer(r)]
    assert len(judge) == 2  # the first call and its repair round, both at 0
    assert [r.body.get("temperature") for r in judge] == [0, 0]
    assert {r.body.get("temperature") for m in PANEL for r in provider.requests_for(m)} == {0.9}


# -- citations: only what was retrieved, by the whole URL ---------------------------------------------


def test_a_citation_matches_the_whole_url_not_the_host():
    sources = [Source("https://example.org/studies/real?id=1", "Real")]
    text = ("See https://example.org/studies/real?id=1, and https://example.org/studies/invented "
            "and https://example.org/studies/real?id=2 and https://example.org/")
    annotations, unverified = annotate(text, sources)
    assert [a["url_citation"]["url"] for a in annotations] == ["https://example.org/studies/real?id=1"]
    assert unverified == ["https://example.org/studies/invented", "https://example.org/studies/real?id=2",
                          "https://example.org/"]


class FakeSearch:
    name = "fake"

    def __init__(self, results):
        self.results = results
        self.queries = []

    async def search(self, query, *, max_results):
        self.queries.append(query)
        return list(self.results)


RETRIEVED = "https://fine.example.net/studies/boiling"
INVENTED = "https://fine.example.net/studies/made-up"  # the same host: only the URL tells them apart


def _searching_panelist(req: ScriptedRequest) -> Reply:
    if not any(m["role"] == "tool" for m in req.messages):
        return Reply(tool_calls=[ToolCall("web_search", {"query": "boiling point"})])
    return Reply(text=f"It boils at 100 C ({RETRIEVED}).")


def _citing_writer(req: ScriptedRequest) -> Reply:
    if not is_writer(req):
        return Reply(json=ANALYSIS)
    return Reply(text=f"Water boils at 100 C at sea level ({RETRIEVED}); see also {INVENTED}.", chunk_size=7)


@pytest.fixture
def citing(provider, monkeypatch):
    search = FakeSearch([SearchResult(RETRIEVED, "Boiling", "water boils at 100 C")])
    monkeypatch.setattr("fusion_tool.pipeline.research.search_provider_from_env", lambda value, **kw: search)
    for model in PANEL:
        provider.add(model, _searching_panelist)
    provider.add(JUDGE, _citing_writer)
    return FusionConfig(panel=PANEL, judge=JUDGE, panel_timeout=5, deadline=30)


async def test_only_retrieved_urls_are_cited(provider, citing):
    client = wrap_openai(provider.async_openai(), config=citing)
    completion = await client.chat.completions.create(model=FUSION, messages=MESSAGES)
    message = completion.choices[0].message
    assert [a.url_citation.url for a in message.annotations] == [RETRIEVED]
    assert completion.fusion["trace"]["unverified_urls"] == [INVENTED]


@pytest.mark.parametrize("client_kind", ["sync", "async"])
async def test_a_streamed_answer_cites_only_retrieved_urls(provider, citing, client_kind):
    if client_kind == "sync":
        client = wrap_openai(provider.openai(), config=citing)
        chunks = list(client.chat.completions.create(model=FUSION, messages=MESSAGES, stream=True,
                                                     stream_options={"include_usage": True}))
    else:
        client = wrap_openai(provider.async_openai(), config=citing)
        stream = await client.chat.completions.create(model=FUSION, messages=MESSAGES, stream=True,
                                                      stream_options={"include_usage": True})
        chunks = [c async for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    record = chunks[-1].fusion
    cited = [a["url_citation"] for a in record["annotations"]]
    assert [c["url"] for c in cited] == [RETRIEVED]
    assert all(text[c["start_index"]:c["end_index"]] == c["url"] for c in cited)
    assert record["trace"]["unverified_urls"] == [INVENTED]


# -- logs: a bearer token of any shape is redacted -------------------------------------------------


@pytest.mark.parametrize("token", ["abc.DEF_ghi-123xyz", "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo",
                                   "Zm9vYmFyYmF6cXV4/+=="])
async def test_a_bearer_token_never_reaches_a_log_line(provider, config, token, caplog):
    provider.add(PANEL[0], lambda req: Reply(status=401, error=f"invalid header Authorization: Bearer {token}"))
    stream = __import__("io").StringIO()
    configure(level="debug", json=False, stream=stream)
    try:
        result = await fuse("q", config=config.replace(max_retries=0), client=provider.async_openai())
    finally:
        __import__("logging").getLogger("fusion_tool").handlers.clear()
    logged = stream.getvalue()
    assert "panelist_failed" in logged and "Bearer [redacted]" in logged
    assert token not in logged
    assert result.failed_models[0]["status_code"] == 401


# -- the gate: tactical requests never deliberate, however weighty the pasted text --------------------


PASTED = ("\n\n\"Dear all, the evidence from the last three quarters is clear: our pricing strategy failed. We must "
          "now decide whether to cut the marketing budget or lay off part of the sales team, weighing the risk to "
          "morale against the eight months of runway we have left and what our investors expect.\"")
TACTICAL = [
    ("Write a Python function that takes a list of daily stock prices and returns the maximum profit from one buy "
     "and one sell, weighing a brute-force approach against a single pass."),
    ("write a function that validates an IBAN, checks its country code and length against the official registry "
     "table, and returns a clear error message for each kind of failure"),
    ("Make this email friendlier: I think it reads as cold and my team will take it badly, and I do not want them "
     "to panic about their jobs." + PASTED),
    ("make this email friendlier, and keep the numbers, because the board has to choose between layoffs and a "
     "budget freeze and they are nervous about the risks:" + PASTED),
    ("Make this message to my team friendlier while keeping every fact, the decision between the two options and "
     "the deadline:" + PASTED),
    ("Can you make this message friendlier before I send it to my landlord about the broken heating? 'You have "
     "ignored my last three emails about the heating. Fix it this week or I will withhold rent and contact the city.'"),
]


@pytest.mark.parametrize("prompt", TACTICAL)
def test_tactical_requests_do_not_deliberate_and_say_why(prompt):
    decision = should_deliberate([{"role": "user", "content": prompt}])
    # above the floor of own words, so the request's shape decides, and the first reason names it
    assert decision.deliberate is False and decision.reasons[0].startswith("tactical"), decision.reasons


# -- pass-through: the plugins keyword is the wrapper's, never the SDK's -------------------------------


async def test_a_disabled_plugin_passes_through_the_async_wrapper(provider, config):
    provider.add(PLAIN, "A plain answer.")
    client = wrap_openai(provider.async_openai(), config=config)
    plugins = [{"id": "fusion", "enabled": False}]
    completion = await client.chat.completions.create(model=PLAIN, messages=MESSAGES, plugins=plugins)
    assert completion.choices[0].message.content == "A plain answer."
    assert [r.model for r in provider.requests] == [PLAIN] and provider.requests[0].body["plugins"] == plugins
    stream = await client.chat.completions.create(model=PLAIN, messages=MESSAGES, plugins=plugins, stream=True)
    assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]) == "A plain answer."


def test_a_disabled_plugin_passes_through_the_sync_wrapper(provider, config):
    provider.add(PLAIN, "A plain answer.")
    client = wrap_openai(provider.openai(), config=config)
    completion = client.chat.completions.create(model=PLAIN, messages=MESSAGES,
                                                plugins=[{"id": "fusion", "enabled": False}])
    assert completion.choices[0].message.content == "A plain answer."


# -- sync streams: the closing usage chunk only when asked for ----------------------------------------

HARD_MESSAGES = [{"role": "user", "content": (
    "Survey the evidence on whether remote work lowers productivity in software teams, where the studies "
    "disagree, and what a 40-person company should conclude for its hiring policy.")}]


def _calling_model(req: ScriptedRequest) -> Reply:
    if "fusion" in req.tool_names and not any(m["role"] == "tool" for m in req.messages):
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
    return Reply(text="The calling model's answer, from the panel's.", chunk_size=5)


def _next_all(stream) -> list:
    chunks = []
    while True:
        try:
            chunks.append(next(stream))
        except StopIteration:
            return chunks


@pytest.mark.parametrize("mode", ["alias", "tool"])
def test_a_sync_stream_read_with_next_has_no_usage_chunk_unless_asked(provider, config, mode):
    provider.add("agent/m", _calling_model)
    client = wrap_openai(provider.openai(), config=config)
    kwargs = {"model": FUSION} if mode == "alias" else {"model": "agent/m", "tools": [{"type": "openrouter:fusion"}]}
    chunks = _next_all(iter(client.chat.completions.create(messages=HARD_MESSAGES, stream=True, **kwargs)))
    assert chunks and all(c.choices for c in chunks) and all(c.usage is None for c in chunks)
    asked = _next_all(iter(client.chat.completions.create(messages=HARD_MESSAGES, stream=True,
                                                          stream_options={"include_usage": True}, **kwargs)))
    assert asked[-1].choices == [] and asked[-1].usage.total_tokens > 0  # asked for: it is there
    assert len(asked) == len(chunks) + 1


# -- the CLI: --exclude-domain reaches search and fetch ---------------------------------------------

BLOCKED = "blocked.example.com"


def _blocked_researcher(req: ScriptedRequest) -> Reply:
    tools = [m["content"] for m in req.messages if m["role"] == "tool"]
    if not tools:
        return Reply(tool_calls=[ToolCall("web_search", {"query": "rubric"})])
    if len(tools) == 1:
        return Reply(tool_calls=[ToolCall("web_fetch", {"url": f"https://{BLOCKED}/rubric"})])
    return Reply(text="An answer from what I could read.")


def test_ask_exclude_domain_reaches_the_search_and_fetch_rules(provider, monkeypatch, capsys):
    from fusion_tool.cli.main import main

    search = FakeSearch([SearchResult(f"https://{BLOCKED}/rubric", "The rubric", "answers"),
                         SearchResult("https://fine.example.net/page", "Fine", "useful")])
    monkeypatch.setattr("fusion_tool.pipeline.research.search_provider_from_env", lambda value, **kw: search)
    for model in PANEL:
        provider.add(model, _blocked_researcher)
    for name in ("FUSION_PANEL", "FUSION_JUDGE", "FUSION_SEARCH", "OPENROUTER_API_KEY", "FUSION_LOG", "FUSION_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    with provider.serve() as base_url:
        monkeypatch.setenv("FUSION_BASE_URL", base_url)
        monkeypatch.setenv("FUSION_API_KEY", "k-test")
        code = main(["ask", "--json", "--panel", ",".join(PANEL), "--judge", JUDGE, "--exclude-domain", BLOCKED,
                     "What does the rubric say about boiling water at altitude, and why?"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "ok" and search.queries
    for model in PANEL:
        tools = [m["content"] for m in provider.requests_for(model)[-1].messages if m["role"] == "tool"]
        assert "fine.example.net" in tools[0] and BLOCKED not in tools[0]  # search: the result was dropped
        assert tools[1].startswith("web_fetch refused:") and "blocked" in tools[1]  # fetch: refused by the rule


# -- the straggler grace: once MORE than half has answered ------------------------------------------


async def test_the_straggler_grace_starts_past_half_the_panel_not_at_half(provider, config):
    panel = ("p/fast1", "p/fast2", "p/third", "p/hangs")
    provider.add("p/fast1", panelist("one"))
    provider.add("p/fast2", panelist("two"))
    provider.add("p/hangs", Reply(hang=True))
    done = []

    async def third(req):
        # answers well after the two fast ones: at exactly half the grace must not have started
        while len(done) < 2:
            await __import__("asyncio").sleep(0.01)
        await __import__("asyncio").sleep(1.0)
        return Reply(text="three")

    provider.add("p/third", third)

    def on_event(event):
        if event.kind == "panelist_done":
            done.append(event.model)

    result = await fuse("q", config=config.replace(panel=panel, straggler_grace=0.3, panel_timeout=20),
                        client=provider.async_openai(), on_event=on_event)
    assert [r["model"] for r in result.responses] == ["p/fast1", "p/fast2", "p/third"]
    assert [f["model"] for f in result.failed_models] == ["p/hangs"]
    assert "straggler" in result.failed_models[0]["error"]

