"""Tool mode's guards, result by result: what the calling model reads back for each fusion call
it makes, and what each request to it carries (tools, tool_choice) as the loop goes on."""

from __future__ import annotations

import json

from fusion_tool import wrap_openai
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import PANEL

AGENT = "agent/m"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
LOOKUP = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
FUSION = {"type": "openrouter:fusion"}


def results(req: ScriptedRequest) -> list[dict]:
    return [json.loads(m["content"]) for m in req.messages if m["role"] == "tool"]


def calling(*prompts):
    """A calling model that makes these fusion calls in its first turn, then answers."""
    def behaviour(req: ScriptedRequest) -> Reply:
        if not results(req):
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": p} if p is not None else {}) for p in prompts])
        return Reply(text="done")
    return behaviour


def panel_requests(provider):
    return [r for r in provider.requests if r.model in PANEL]


def test_a_call_without_a_prompt_is_answered_with_why_and_does_not_use_up_the_turn(provider, config):
    provider.add(AGENT, calling("", None, "What does the evidence say?", "again"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    bad = {"status": "error", "error": "fusion needs a non-empty 'prompt' string", "failure_reason": "invalid_arguments"}
    got = results(provider.requests_for(AGENT)[-1])
    assert got[:2] == [bad, bad]
    assert got[2]["status"] == "ok"  # the first good call runs the panel...
    assert got[3] == {"status": "error", "error": "fusion already ran for this turn; answer from its result",
                      "failure_reason": "fusion_invocation_capped"}  # ...and the next is capped
    assert len(panel_requests(provider)) == len(PANEL)


def test_the_tool_result_keeps_the_panels_own_characters(provider, config):
    provider.add(PANEL[0], "Café au lait ☕ — «naturellement»")
    provider.add(AGENT, calling("Which is best?"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    tool = next(m for m in provider.requests_for(AGENT)[-1].messages if m["role"] == "tool")
    assert "Café au lait ☕ — «naturellement»" in tool["content"]  # not \\u-escaped: a model reads it as written


def test_a_forced_fusion_names_it_then_gives_the_users_tools_back(provider, config):
    provider.add(AGENT, calling("What does the evidence say?"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[LOOKUP, FUSION],
        tool_choice={"type": "function", "function": {"name": "fusion"}})
    first, second = (r.body for r in provider.requests_for(AGENT))
    assert first["tool_choice"] == {"type": "function", "function": {"name": "fusion"}}
    assert [t["function"]["name"] for t in first["tools"]] == ["lookup", "fusion"]
    assert second["tool_choice"] == "auto" and [t["function"]["name"] for t in second["tools"]] == ["lookup"]
    assert "stream" not in first and "stream_options" not in first


def test_without_any_tool_left_no_tool_choice_is_sent(provider, config):
    provider.add(AGENT, calling("What does the evidence say?"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION], tool_choice="required",
        parallel_tool_calls=False)
    first, second = (r.body for r in provider.requests_for(AGENT))
    assert first["tool_choice"] == {"type": "function", "function": {"name": "fusion"}}
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(second)  # fusion ran: no tools to choose from


def test_a_short_prompt_is_not_offered_fusion_and_a_call_of_it_is_refused(provider, config):
    provider.add(AGENT, calling("What is 2 + 2?"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": "What is 2 + 2?"}], tools=[LOOKUP, FUSION])
    first, second = provider.requests_for(AGENT)
    assert first.tool_names == ["lookup"]
    assert results(second) == [{"status": "error", "error": "fusion is not available for this request; answer directly",
                                "failure_reason": "fusion_unavailable"}]
    assert panel_requests(provider) == []


def test_fusion_results_of_an_earlier_turn_do_not_count_for_this_one(provider, config):
    earlier = [{"role": "user", "content": HARD},
               {"role": "assistant", "content": None, "tool_calls": [
                   {"id": "c0", "type": "function", "function": {"name": "fusion", "arguments": "{\"prompt\": \"x\"}"}}]},
               {"role": "tool", "tool_call_id": "c0", "content": "{\"status\": \"ok\"}"},
               {"role": "assistant", "content": "An earlier answer."},
               {"role": "user", "content": HARD + " And now for a 400-person company?"}]
    provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("fusion", {"prompt": "now"})])
                 if req.messages[-1]["role"] == "user" else Reply(text="done"))
    wrap_openai(provider.openai(), config=config).chat.completions.create(model=AGENT, messages=earlier, tools=[FUSION])
    assert results(provider.requests_for(AGENT)[-1])[-1]["status"] == "ok"
    assert len(panel_requests(provider)) == len(PANEL)


def test_the_panel_answers_the_prompt_the_calling_model_wrote(provider, config):
    provider.add(AGENT, calling("Heat pumps against gas boilers for an old house: the evidence?"))
    events = []
    wrap_openai(provider.openai(), config=config, on_event=events.append).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert {r.last_user_text for r in panel_requests(provider)} == {
        "Heat pumps against gas boilers for an old house: the evidence?"}
    assert [e.kind for e in events].count("panelist_start") == len(PANEL)  # the caller's listener hears the panel


def test_the_panelists_get_their_research_tools_in_tool_mode(provider, config, monkeypatch):
    class NoResults:
        name = "none"

        async def search(self, query, *, max_results):
            return []

    monkeypatch.setattr("fusion_tool.pipeline.research.search_provider_from_env", lambda value, **kw: NoResults())
    provider.add(AGENT, calling("What does the evidence say?"))
    wrap_openai(provider.openai(), config=config.replace(tools=None)).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert all(r.tool_names == ["web_search", "web_fetch"] for r in panel_requests(provider))


def test_the_gate_decision_is_logged_and_its_floor_is_the_configs(provider, config, caplog):
    provider.add(AGENT, calling("What does the evidence say?"))
    short = "Compare heat pumps and gas boilers: evidence on running costs?"  # 10 words: under the default floor
    client = wrap_openai(provider.openai(), config=config)
    with caplog.at_level("INFO", logger="fusion_tool"):
        client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": short}], tools=[FUSION])
    assert provider.requests_for(AGENT)[0].tool_names == []
    line = next(r.getMessage() for r in caplog.records if "event='gate'" in r.getMessage())
    assert "deliberate=False" in line and "score=0.0" in line and "short: 10 words < 12" in line
    caplog.clear()
    with caplog.at_level("INFO", logger="fusion_tool"):
        wrap_openai(provider.openai(), config=config.replace(min_words=4)).chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": short}], tools=[FUSION])
    lines = [r.getMessage() for r in caplog.records if "event='gate'" in r.getMessage()]
    assert lines and "short:" not in lines[-1] and "own words: 10" in lines[-1]  # the floor moved: the shape decides


def _fusion_then_lookup(req: ScriptedRequest) -> Reply:
    """Streams: a fusion call, then (fusion answered) some words and two calls of the caller's tool."""
    if not results(req):
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"}, id="f1")], chunk_size=3)
    return Reply(text="Checking two things.", chunk_size=4,
                 tool_calls=[ToolCall("lookup", {"q": "staff"}, id="u1"), ToolCall("lookup", '{"q": "offices"}', id="u2")])


def test_a_streamed_turn_hands_back_the_callers_calls_whole_and_hides_fusions(provider, config):
    provider.add(AGENT, _fusion_then_lookup)
    chunks = list(wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[LOOKUP, FUSION], stream=True,
        stream_options={"include_usage": True}))
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    calls: dict[int, dict] = {}
    for d in deltas:
        call = calls.setdefault(d.index, {"id": None, "name": "", "arguments": ""})
        call["id"] = call["id"] or d.id
        call["name"] += (d.function.name or "") if d.function else ""
        call["arguments"] += (d.function.arguments or "") if d.function else ""
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for _, c in sorted(calls.items())] == [
        ("u1", "lookup", {"q": "staff"}), ("u2", "lookup", {"q": "offices"})]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Checking two things."
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    closing = chunks[-1]
    assert closing.choices == [] and closing.usage.completion_tokens == provider.total_usage()["completion_tokens"]
    assert [c["stage"] for c in closing.fusion["calls"]].count("caller") == 2
    assert len(panel_requests(provider)) == len(PANEL)
    second = provider.requests_for(AGENT)[1].messages
    assert [c["id"] for m in second if m["role"] == "assistant" for c in m["tool_calls"]] == ["f1"]
    assert results(provider.requests_for(AGENT)[1])[0]["status"] == "ok"
