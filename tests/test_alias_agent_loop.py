"""Alias mode inside an agent loop: the writer may call the caller's own tools, ``fusion`` never
comes back to the client, and a turn that only carries tool results never runs a second panel."""

from __future__ import annotations

import json

import pytest

from fusion_tool import wrap_openai
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall
from tests.conftest import ANALYSIS, JUDGE, PANEL

LOOKUP = {"type": "function", "function": {"name": "lookup", "description": "Look up a fact",
                                           "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
QUESTION = [{"role": "user", "content": "Is it worth moving our billing system to event sourcing given a team of four?"}]


def writing(req: ScriptedRequest) -> bool:
    return any(m.get("role") == "tool" for m in req.messages)


def agent_judge(writer):
    """The judge model: JSON analysis for the judge's call, ``writer(req)`` when it writes."""
    def behaviour(req: ScriptedRequest) -> Reply:
        return writer(req) if writing(req) else Reply(json=ANALYSIS)
    return behaviour


def panel_calls(provider) -> int:
    return sum(len(provider.requests_for(m)) for m in PANEL)


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_the_writer_may_call_the_callers_own_tools(provider, config, flavour):
    def writer(req):
        if req.messages[-1].get("role") == "tool" and req.messages[-1].get("tool_call_id") == "call_lookup":
            return Reply(text="Final answer, with the looked-up fact.")
        return Reply(tool_calls=[ToolCall("lookup", {"q": "team size"}, id="call_lookup")])

    provider.add(JUDGE, agent_judge(writer))
    if flavour == "sync":
        client = wrap_openai(provider.openai(), config=config)
        first = client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP])
    else:
        client = wrap_openai(provider.async_openai(), config=config)
        first = await client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP])
    message = first.choices[0].message
    assert [c.function.name for c in message.tool_calls] == ["lookup"] and first.choices[0].finish_reason == "tool_calls"
    writer_request = [r for r in provider.requests_for(JUDGE) if writing(r)][0]
    assert writer_request.body.get("tool_choice") != "none"  # the caller's tools stay callable
    assert {t["function"]["name"] for t in writer_request.body["tools"]} == {"lookup", "fusion"}
    assert panel_calls(provider) == 3

    # the caller runs its tool and continues: the same user turn, so no second panel
    messages = [*QUESTION, message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": "call_lookup", "content": "four engineers"}]
    if flavour == "sync":
        second = client.chat.completions.create(model="openrouter/fusion", messages=messages, tools=[LOOKUP])
    else:
        second = await client.chat.completions.create(model="openrouter/fusion", messages=messages, tools=[LOOKUP])
    assert second.choices[0].message.content == "Final answer, with the looked-up fact."
    assert panel_calls(provider) == 3  # not a new panel
    last_writer = [r for r in provider.requests_for(JUDGE) if writing(r)][-1]
    tool_results = [json.loads(m["content"]) for m in last_writer.messages
                    if m.get("role") == "tool" and m.get("tool_call_id", "").startswith("call_fusion")]
    assert tool_results and tool_results[0]["status"] == "ok"  # the fusion exchange was put back


def test_the_callers_tool_choice_reaches_the_writer(provider, config):
    provider.add(JUDGE, agent_judge(lambda req: Reply(tool_calls=[ToolCall("lookup", {"q": "x"})])))
    client = wrap_openai(provider.openai(), config=config)
    choice = {"type": "function", "function": {"name": "lookup"}}
    client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP], tool_choice=choice)
    writer_request = [r for r in provider.requests_for(JUDGE) if writing(r)][0]
    assert writer_request.body["tool_choice"] == choice


def test_without_tools_of_its_own_the_writer_is_told_to_answer(provider, config):
    client = wrap_openai(provider.openai(), config=config)
    client.chat.completions.create(model="openrouter/fusion", messages=QUESTION)
    writer_request = [r for r in provider.requests_for(JUDGE) if writing(r)][0]
    assert writer_request.body["tool_choice"] == "none"


@pytest.mark.parametrize("stream", [False, True])
def test_a_writer_calling_fusion_again_never_reaches_the_client(provider, config, stream):
    def writer(req):
        return Reply(text="The answer.", tool_calls=[ToolCall("fusion", {"prompt": "again?"})])

    provider.add(JUDGE, agent_judge(writer))
    client = wrap_openai(provider.openai(), config=config)
    if not stream:
        completion = client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP])
        assert completion.choices[0].message.tool_calls is None
        assert completion.choices[0].finish_reason == "stop"
        return
    chunks = list(client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP],
                                                 stream=True))
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]
    assert panel_calls(provider) == 3


def test_a_continuation_without_our_memory_still_runs_no_second_panel(provider, config):
    """A client on another worker (no shared memory): it carries the transcript from the trace."""
    provider.add(JUDGE, agent_judge(lambda req: Reply(text="done") if req.messages[-1].get("tool_call_id") == "c1"
                                    else Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="c1")])))
    first_client = wrap_openai(provider.openai(), config=config)
    first = first_client.chat.completions.create(model="openrouter/fusion", messages=QUESTION, tools=[LOOKUP])
    transcript = first.fusion["trace"]["messages"]  # the caller's messages and the fusion exchange
    assert any(m.get("role") == "tool" for m in transcript)
    other_client = wrap_openai(provider.openai(), config=config)  # no memory of the first request
    messages = [*transcript, first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": "c1", "content": "fact"}]
    second = other_client.chat.completions.create(model="openrouter/fusion", messages=messages, tools=[LOOKUP])
    assert second.choices[0].message.content == "done" and panel_calls(provider) == 3
