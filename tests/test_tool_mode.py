"""Tool mode: the interceptor loop, its guards and the gate, through the real SDK and HTTP."""

from __future__ import annotations

import json

import openai
import pytest

from fusion_tool import wrap_openai
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import JUDGE, PANEL, assert_valid_transcript

AGENT = "agent/m"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
SHORT = "What is 2 + 2?"
FUSION = {"type": "openrouter:fusion"}
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def since_user(req: ScriptedRequest) -> list[dict]:
    last = max(i for i, m in enumerate(req.messages) if m["role"] == "user")
    return req.messages[last + 1:]


def agent(calls_per_turn=1, user_tool_after_fusion=False):
    """A calling model that calls fusion when offered, then answers from its result."""
    def behaviour(req: ScriptedRequest) -> Reply:
        after = since_user(req)
        results = [json.loads(m["content"]) for m in after if m["role"] == "tool"]
        fusion_results = [r for r in results if isinstance(r, dict) and "status" in r]
        if "fusion" in req.tool_names and not fusion_results:
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text}) for _ in range(calls_per_turn)])
        if user_tool_after_fusion and not any(m.get("role") == "tool" and "temp" in m["content"] for m in after):
            return Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})])
        if fusion_results:
            return Reply(text=f"Final answer using {fusion_results[0]['status']} fusion.")
        return Reply(text="Direct answer.")
    return behaviour


@pytest.fixture
def agent_provider(provider):
    provider.add(AGENT, agent())
    return provider


def panel_requests(provider):
    return [r for r in provider.requests if r.model in PANEL]


def test_a_hard_prompt_runs_the_panel_and_the_model_answers(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[FUSION])
    assert completion.choices[0].message.content == "Final answer using ok fusion."
    first = agent_provider.requests_for(AGENT)[0]
    assert [t["type"] for t in first.tools] == ["function"] and first.tools[0]["function"]["name"] == "fusion"
    assert "openrouter:fusion" not in json.dumps([r.body for r in agent_provider.requests])
    assert len(panel_requests(agent_provider)) == 3
    # the judge defaults to the calling model... unless configured, as here
    assert completion.fusion["trace"]["gate"]["deliberate"] is True
    # inner calls never see the fusion tool
    assert all("fusion" not in r.tool_names for r in agent_provider.requests if r.model != AGENT)
    for r in agent_provider.requests_for(AGENT):
        assert_valid_transcript(r.messages)


def test_the_judge_defaults_to_the_calling_model(agent_provider, config):
    from .conftest import ANALYSIS

    def agent_or_judge(req):
        if req.response_format is not None:
            return Reply(json=ANALYSIS)
        return agent()(req)

    agent_provider.add(AGENT, agent_or_judge)
    client = wrap_openai(agent_provider.openai(), config=config.replace(judge=None))
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[FUSION])
    assert completion.fusion["analysis"]["blind_spots"] == ANALYSIS["blind_spots"]
    assert agent_provider.requests_for(JUDGE) == []


def test_a_short_prompt_is_not_offered_fusion(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": SHORT}],
                                                tools=[FUSION])
    assert completion.choices[0].message.content == "Direct answer."
    assert agent_provider.requests_for(AGENT)[0].tools == []
    assert panel_requests(agent_provider) == []
    assert completion.fusion["trace"]["gate"]["deliberate"] is False


def test_tool_choice_naming_fusion_overrides_the_gate(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": SHORT}], tools=[FUSION],
        tool_choice={"type": "function", "function": {"name": "fusion"}})
    assert completion.choices[0].message.content == "Final answer using ok fusion."
    assert len(panel_requests(agent_provider)) == 3
    first, second = agent_provider.requests_for(AGENT)
    assert first.body["tool_choice"] == {"type": "function", "function": {"name": "fusion"}}
    assert "tool_choice" not in second.body and second.tools == []


def test_fusion_twice_in_one_turn_is_capped_to_one_panel(agent_provider, config):
    agent_provider.add(AGENT, agent(calls_per_turn=2))
    client = wrap_openai(agent_provider.openai(), config=config)
    client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert len(panel_requests(agent_provider)) == 3
    final = agent_provider.requests_for(AGENT)[-1]
    results = [json.loads(m["content"]) for m in final.messages if m["role"] == "tool"]
    assert [r["status"] for r in results] == ["ok", "error"]
    assert results[1]["failure_reason"] == "fusion_invocation_capped"
    assert_valid_transcript(final.messages)


def test_a_model_calling_fusion_again_after_it_ran_is_capped(agent_provider, config):
    def stubborn(req):
        if req.messages[-1]["role"] == "tool" and len([m for m in since_user(req) if m["role"] == "tool"]) >= 2:
            return Reply(text="giving up")
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": "again"})])

    agent_provider.add(AGENT, stubborn)
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[FUSION])
    assert completion.choices[0].message.content == "giving up"
    assert len(panel_requests(agent_provider)) == 3


def test_fusion_and_a_user_tool_in_one_loop(agent_provider, config):
    agent_provider.add(AGENT, agent(user_tool_after_fusion=True))
    client = wrap_openai(agent_provider.openai(), config=config)
    messages = [{"role": "user", "content": HARD}]
    completion = client.chat.completions.create(model=AGENT, messages=messages, tools=[WEATHER, FUSION])
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in message.tool_calls] == ["get_weather"]
    # the caller's own loop: append the message and its tool result, call again
    messages.append(message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": '{"temp": 3}'})
    completion = client.chat.completions.create(model=AGENT, messages=messages, tools=[WEATHER, FUSION])
    assert completion.choices[0].message.content.startswith("Final answer")  # the panel's result was kept
    assert len(panel_requests(agent_provider)) == 3  # no second panel when the turn is tool results
    for r in agent_provider.requests_for(AGENT):
        assert_valid_transcript(r.messages)
    # the full transcript, fusion's exchange included, is there for callers who want to keep it
    full = completion.fusion["trace"]["messages"]
    assert_valid_transcript(full)


def test_a_turn_of_tool_results_only_never_runs_fusion(agent_provider, config):
    messages = [{"role": "user", "content": HARD},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 3}'}]
    client = wrap_openai(agent_provider.openai(), config=config)
    client.chat.completions.create(model=AGENT, messages=messages, tools=[WEATHER, FUSION])
    assert panel_requests(agent_provider) == []
    assert agent_provider.requests_for(AGENT)[0].tool_names == ["get_weather"]


async def test_tool_mode_streams_the_final_answer(agent_provider, config):
    agent_provider.add(AGENT, lambda req: agent()(req) if req.messages[-1]["role"] != "tool"
                       else Reply(text="A streamed answer built on the panel.", chunk_size=5))
    client = wrap_openai(agent_provider.async_openai(), config=config)
    stream = await client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION], stream=True,
        stream_options={"include_usage": True})
    chunks = [c async for c in stream]
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(deltas) == "A streamed answer built on the panel." and len(deltas) > 3
    calls = chunks[-1].fusion["calls"]
    reported = agent_provider.total_usage()  # the provider's own figures, every inner call's
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens, chunks[-1].usage.total_tokens) == (
        reported["prompt_tokens"], reported["completion_tokens"], reported["total_tokens"])
    assert agent_provider.requests[-1].usage["completion_tokens"] > 0  # the streamed last turn counts too
    assert len(panel_requests(agent_provider)) == 3
    assert [c["stage"] for c in calls].count("caller") == 2 and [c["stage"] for c in calls].count("panel") == 3


def test_streaming_hands_user_tool_calls_to_the_caller(agent_provider, config):
    agent_provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})]))
    client = wrap_openai(agent_provider.openai(), config=config)
    chunks = list(client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": SHORT}], tools=[WEATHER, FUSION], stream=True))
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [c.function.name for c in calls] == ["get_weather"]
    assert json.loads(calls[0].function.arguments) == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_a_fusion_plugin_on_a_real_model_is_tool_mode(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}],
        plugins=[{"id": "fusion", "analysis_models": [PANEL[0]]}])
    assert completion.choices[0].message.content == "Final answer using ok fusion."
    assert [r.model for r in panel_requests(agent_provider)] == [PANEL[0]]


def test_a_disabled_plugin_passes_through(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], plugins=[{"id": "fusion", "enabled": False}])
    assert completion.choices[0].message.content == "Direct answer."
    # passed through untouched, as the proxy relays it: no panel, the body as the SDK built it
    assert agent_provider.requests[0].body["plugins"] == [{"id": "fusion", "enabled": False}]
    assert panel_requests(agent_provider) == []


def test_a_fusion_error_is_reported_once_and_not_rerun(agent_provider, config):
    for model in PANEL:
        agent_provider.add(model, lambda req: Reply(status=503, error="down"))

    def retrying_agent(req):  # a model that keeps calling fusion after it failed
        results = [json.loads(m["content"]) for m in since_user(req) if m["role"] == "tool"]
        if len(results) >= 3:
            return Reply(text="I could not deliberate: " + results[0]["failure_reason"])
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": "again"})])

    agent_provider.add(AGENT, retrying_agent)
    client = wrap_openai(agent_provider.openai(), config=config.replace(max_retries=0))
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[FUSION])
    assert completion.choices[0].message.content == "I could not deliberate: all_panels_failed"
    assert len(panel_requests(agent_provider)) == 3  # one panel, never re-run
    reasons = [json.loads(m["content"])["failure_reason"]
               for m in agent_provider.requests_for(AGENT)[-1].messages if m["role"] == "tool"]
    assert reasons == ["all_panels_failed", "fusion_invocation_capped", "fusion_invocation_capped"]


def test_required_forces_fusion_only_when_it_is_the_only_tool(agent_provider, config):
    client = wrap_openai(agent_provider.openai(), config=config)
    client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": SHORT}],
                                   tools=[FUSION], tool_choice="required")
    assert len(panel_requests(agent_provider)) == 3
    agent_provider.reset()
    agent_provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("get_weather", {"city": "Oslo"})]))
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": SHORT}],
                                                tools=[WEATHER, FUSION], tool_choice="required")
    assert completion.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert agent_provider.requests[0].body["tool_choice"] == "required"
    assert agent_provider.requests[0].tool_names == ["get_weather"]  # short prompt: the gate said no


def test_n_above_one_is_refused_for_fusion(provider, config):
    client = wrap_openai(provider.openai(), config=config)
    with pytest.raises(openai.BadRequestError) as info:  # the SDK's own type, as from the proxy
        client.chat.completions.create(model="openrouter/fusion", messages=[{"role": "user", "content": HARD}], n=2)
    assert info.value.param == "n" and provider.requests == []


def test_a_fusion_call_the_gate_did_not_offer_is_answered_not_run(agent_provider, config):
    def eager(req):  # calls fusion although it was not offered (models do hallucinate tools)
        if req.messages[-1]["role"] == "tool":
            return Reply(text=json.loads(req.messages[-1]["content"])["failure_reason"])
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": "x"})])

    agent_provider.add(AGENT, eager)
    client = wrap_openai(agent_provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": SHORT}],
                                                tools=[FUSION])
    assert completion.choices[0].message.content == "fusion_unavailable"
    assert panel_requests(agent_provider) == []
