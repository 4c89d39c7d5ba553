"""The Responses API door, end to end: the openai SDK's ``responses.create`` / ``responses.stream``
against the proxy (a real uvicorn server on loopback in front of the scripted provider's loopback
server) and in process through ``wrap_openai`` (sync and async): alias mode, tool mode with a
function tool of the caller's, pass-through, the streamed event order and the fusion events."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from pydantic import BaseModel

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.proxy.responses import request as translate
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall

from . import test_proxy
from .conftest import ANALYSIS, JUDGE, PANEL, is_writer, judge_behaviour
from .test_proxy import CLIENT_KEY, PLAIN, wait_for
from .test_research_pipeline import CORPUS, INVENTED, researcher

# the openai SDK reads the openrouter:fusion item as a message (it knows no such type) and pydantic
# warns when it serializes it back; harmless, and the SDK's to know
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")

# test_proxy's fixtures (one provider and one proxy for the module), used here by name
provider, proxy = test_proxy.provider, test_proxy.proxy
proxy_config, shared = test_proxy.proxy_config, test_proxy.shared

AGENT = "agent/m"
QUESTION = "At what temperature does water boil, and why does it vary with altitude and pressure?"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
LOOKUP = {"type": "function", "name": "lookup", "description": "Look up a fact about the company.",
          "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}
FUSION = {"type": "openrouter:fusion"}
LOOKUP_RESULT = "The company has 40 people, 12 of them engineers."

STANDARD_ALIAS_STREAM = [
    "response.created", "response.in_progress",
    "response.output_item.added", "response.fusion_call.in_progress",
    *["response.fusion_call.panel.added"] * 3, *["response.fusion_call.panel.completed"] * 3,
    "response.fusion_call.analysis.in_progress", "response.fusion_call.analysis.completed",
    "response.fusion_call.completed", "response.output_item.done",
    "response.output_item.added", "response.content_part.added",
    "response.output_text.delta", "response.output_text.done", "response.content_part.done",
    "response.output_item.done", "response.completed",
]


def sdk(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=CLIENT_KEY, max_retries=0)


def panel_requests(provider: ScriptedProvider) -> list[ScriptedRequest]:
    return [r for r in provider.requests if r.model in PANEL]


def collapse(types: list[str]) -> list[str]:
    """Runs of deltas as one: the number of deltas depends on chunk sizes, not on the protocol."""
    out: list[str] = []
    for t in types:
        if not (out and t == out[-1] and t.endswith(".delta")):
            out.append(t)
    return out


def looked_up(req: ScriptedRequest) -> bool:
    return any(LOOKUP_RESULT in str(m.get("content")) for m in req.messages if m.get("role") == "tool")


def fusion_results(req: ScriptedRequest) -> list[dict]:
    out = []
    for m in req.messages:
        if m.get("role") == "tool":
            try:
                value = json.loads(m["content"])
            except ValueError:
                continue
            if isinstance(value, dict) and value.get("status") in ("ok", "error"):
                out.append(value)
    return out


def calling_model(req: ScriptedRequest) -> Reply:
    """Calls fusion when it is offered and has no result, then ``lookup``, then answers."""
    fused = fusion_results(req)
    if "fusion" in req.tool_names and not fused:
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
    if "lookup" in req.tool_names and not looked_up(req):
        return Reply(tool_calls=[ToolCall("lookup", {"q": "company size"})])
    return Reply(text=f"Hybrid work: the panel said {fused[0]['status'] if fused else 'nothing'}.")


@pytest.fixture
def agent(provider):
    provider.add(AGENT, calling_model)
    return provider


# -- alias mode --------------------------------------------------------------------------------------

def test_alias_create_returns_the_fusion_item_then_the_message(proxy, provider):
    response = sdk(proxy).responses.create(model="openrouter/fusion", input=QUESTION)
    assert [item.type for item in response.output] == ["openrouter:fusion", "message"]
    assert response.output_text == "The fused answer."
    fusion = response.model_dump(warnings=False)["output"][0]
    assert fusion["status"] == "completed" and fusion["id"]
    assert sorted(r["model"] for r in fusion["responses"]) == sorted(PANEL)
    assert set(fusion["analysis"]) == set(ANALYSIS) and fusion["analysis"]["consensus"] == ANALYSIS["consensus"]
    assert fusion["failed_models"] == [] and fusion["sources"] == []
    assert fusion["error"] is None and fusion["failure_reason"] is None
    # usage: summed over the three panelists, the judge and the writer, with the cost
    total = provider.total_usage()
    assert response.usage.input_tokens == total["prompt_tokens"]
    assert response.usage.output_tokens == total["completion_tokens"]
    assert response.usage.total_tokens == total["total_tokens"]
    assert response.usage.cost == pytest.approx(total["cost"])
    assert len(response.fusion["calls"]) == 5
    assert response.status == "completed" and response.store is False and response.model == "openrouter/fusion"
    # the writer was reached over Chat Completions
    assert all(r.api == "chat" for r in provider.requests)


def test_alias_stream_sends_the_standard_events_and_the_fusion_events(proxy, provider):
    with sdk(proxy).responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert collapse([e.type for e in events]) == STANDARD_ALIAS_STREAM
    assert [e.sequence_number for e in events] == list(range(len(events)))
    fusion_id = events[2].item.id
    for e in events[3:13]:
        assert e.item_id == fusion_id and e.output_index == 0
    assert sorted(e.model for e in events if e.type == "response.fusion_call.panel.added") == sorted(PANEL)
    completed = [e for e in events if e.type == "response.fusion_call.panel.completed"]
    assert {e.model: e.content for e in completed}[PANEL[0]] == "Answer A: 100 C, lower at altitude."
    analysis = next(e for e in events if e.type == "response.fusion_call.analysis.completed").analysis
    assert analysis["consensus"] == ANALYSIS["consensus"]
    done = [e for e in events if e.type == "response.output_item.done"]
    assert done[0].item.type == "openrouter:fusion" and done[0].item.status == "completed"
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "The fused answer."
    assert final.output_text == "The fused answer."
    assert [item.type for item in final.output] == ["openrouter:fusion", "message"]
    assert final.usage.cost == pytest.approx(provider.total_usage()["cost"])


def test_a_failed_panelist_is_an_event_that_does_not_end_the_stream(proxy, provider):
    provider.add(PANEL[2], Reply(status=503, error="the model is overloaded"))
    with sdk(proxy).responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        events = list(stream)
        final = stream.get_final_response()
    failed = [e for e in events if e.type == "response.fusion_call.panel.failed"]
    assert len(failed) == 1 and failed[0].model == PANEL[2] and failed[0].status_code == 503
    assert "overloaded" in failed[0].message
    assert final.output_text == "The fused answer."
    fusion = final.output[0]
    assert [f["model"] for f in fusion.failed_models] == [PANEL[2]]


def test_every_panelist_failed_is_a_502_or_a_failed_response(proxy, provider):
    for model in PANEL:
        provider.add(model, Reply(status=400, error="bad request"))
    client = sdk(proxy)
    with pytest.raises(openai.APIStatusError) as caught:
        client.responses.create(model="openrouter/fusion", input=QUESTION)
    assert caught.value.status_code == 502
    assert caught.value.body["code"] == "all_panels_failed"
    with client.responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        events = list(stream)
    assert events[-1].type == "response.failed"
    assert events[-1].response.error.code == "all_panels_failed"
    fusion = next(e.item for e in events if e.type == "response.output_item.done")
    assert fusion.status == "failed" and fusion.failure_reason == "all_panels_failed"


def test_fusion_flash_and_the_plugin_configure_the_panel(proxy, provider):
    plugin = {"id": "fusion", "analysis_models": [PANEL[0], PANEL[1]], "model": JUDGE}
    response = sdk(proxy).responses.create(model="openrouter/fusion-flash", input=QUESTION,
                                           extra_body={"plugins": [plugin]})
    assert sorted(r.model for r in panel_requests(provider)) == sorted(PANEL[:2])
    assert len(response.output[0].responses) == 2


# -- the request's fields ----------------------------------------------------------------------------

def test_instructions_items_format_and_limits_reach_the_writer(proxy, provider):
    class Verdict(BaseModel):
        answer: str
        confidence: float

    def judge(req):
        if is_writer(req) and req.response_format:
            return Reply(json={"answer": "100 C", "confidence": 0.9})
        return judge_behaviour()(req)

    provider.add(JUDGE, judge)
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "Hello."}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hi, ask away."}]},
        {"role": "user", "content": [{"type": "input_text", "text": QUESTION}]},
    ]
    parsed = sdk(proxy).responses.parse(model="openrouter/fusion", input=items, instructions="Answer in one line.",
                                        text_format=Verdict, max_output_tokens=300, temperature=0.2,
                                        metadata={"ticket": "T-1"}, store=True)
    assert parsed.output_parsed == Verdict(answer="100 C", confidence=0.9)
    assert parsed.metadata == {"ticket": "T-1"} and parsed.store is False
    writer = next(r for r in provider.requests_for(JUDGE) if is_writer(r))
    assert writer.response_format["type"] == "json_schema"
    assert writer.response_format["json_schema"]["name"] == "Verdict"
    assert writer.body["max_completion_tokens"] == 300 and writer.body["temperature"] == 0.2
    assert {"role": "system", "content": "Answer in one line."} in writer.messages
    assert {"role": "assistant", "content": "Hi, ask away."} in writer.messages
    assert "metadata" not in writer.body and "store" not in writer.body
    assert QUESTION in panel_requests(provider)[0].last_user_text


@pytest.mark.parametrize(("fields", "param", "words"), [
    ({"previous_response_id": "resp_123"}, "previous_response_id", "does not store responses"),
    ({"conversation": "conv_1"}, "conversation", "does not store conversations"),
    ({"background": True}, "background", "foreground"),
    ({"truncation": "auto"}, "truncation", "does not truncate"),
    ({"include": ["message.output_text.logprobs"]}, "include[0]", "no such data"),
    ({"top_logprobs": 3}, "top_logprobs", "log probabilities"),
    ({"reasoning": {"summary": "detailed"}}, "reasoning.summary", ""),
    ({"tools": [{"type": "web_search_preview"}]}, "tools[0].type", ""),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type", ""),
    ({"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]},
     "input[0].content[0]", "image_url"),
    ({"seed": 3}, "seed", "unknown"),
])
def test_what_fusion_cannot_honour_is_a_400_naming_the_field(proxy, provider, fields, param, words):
    body = {"model": "openrouter/fusion", "input": QUESTION, **fields}
    response = httpx.post(f"{proxy}/responses", json=body, timeout=10)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and param in error["message"] and words in error["message"]
    assert error["type"] == "invalid_request_error"
    assert not provider.requests


def test_include_encrypted_reasoning_and_store_false_are_accepted(proxy, provider):
    response = sdk(proxy).responses.create(model="openrouter/fusion", input=QUESTION,
                                           include=["reasoning.encrypted_content"], store=False,
                                           reasoning={"effort": "low"})
    assert response.output_text == "The fused answer."
    writer = next(r for r in provider.requests_for(JUDGE) if is_writer(r))
    assert writer.body["reasoning_effort"] == "low"


def test_a_translation_of_each_kind_of_input_item():
    body = {"model": "m", "instructions": "Be brief.", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Look at this."},
                                     {"type": "input_image", "image_url": "data:image/png;base64,AAAA"}]},
        {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
         "content": [{"type": "output_text", "text": "Checking.", "annotations": []}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}", "id": "fc_1"},
        {"type": "function_call_output", "call_id": "call_1", "output": "found"},
    ], "tools": [LOOKUP], "tool_choice": {"type": "function", "name": "lookup"},
        "text": {"format": {"type": "json_object"}}, "max_output_tokens": 50}
    translate.check(body)
    chat = translate.to_chat(body)
    assert chat["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Look at this."},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA",
                                                                         "detail": "auto"}}]},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
    ]
    assert chat["tools"] == [{"type": "function", "function": {
        "name": "lookup", "description": LOOKUP["description"], "parameters": LOOKUP["parameters"]}}]
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert chat["response_format"] == {"type": "json_object"} and chat["max_completion_tokens"] == 50


# -- tool mode ----------------------------------------------------------------------------------------

def test_tool_mode_returns_the_callers_function_call_and_continues_with_the_fusion_exchange(proxy, agent):
    client = sdk(proxy)
    first = client.responses.create(model=AGENT, input=HARD, tools=[FUSION, LOOKUP])
    assert [item.type for item in first.output] == ["openrouter:fusion", "function_call"]
    call = first.output[1]
    assert call.name == "lookup" and json.loads(call.arguments) == {"q": "company size"} and call.call_id
    assert first.output[0].status == "completed" and len(first.output[0].responses) == 3
    # the usual loop: send the output back with the tool's result
    replay = [{"role": "user", "content": HARD}, *(item.to_dict() for item in first.output),
              {"type": "function_call_output", "call_id": call.call_id, "output": LOOKUP_RESULT}]
    second = client.responses.create(model=AGENT, input=replay, tools=[FUSION, LOOKUP])
    assert second.output_text == "Hybrid work: the panel said ok."
    assert [item.type for item in second.output] == ["message"]  # no second fusion run
    assert len(panel_requests(agent)) == 3
    last = agent.requests_for(AGENT)[-1]
    assert fusion_results(last)[0]["status"] == "ok" and looked_up(last)
    assert "fusion" not in last.tool_names  # one fusion run per user turn


def test_tool_mode_continues_from_memory_when_the_client_drops_the_fusion_item(proxy, agent):
    client = sdk(proxy)
    first = client.responses.create(model=AGENT, input=HARD, tools=[FUSION, LOOKUP])
    call = first.output[1]
    only_mine = [{"role": "user", "content": HARD}, call.to_dict(),
                 {"type": "function_call_output", "call_id": call.call_id, "output": LOOKUP_RESULT}]
    second = client.responses.create(model=AGENT, input=only_mine, tools=[FUSION, LOOKUP])
    assert second.output_text == "Hybrid work: the panel said ok."
    assert len(panel_requests(agent)) == 3
    assert fusion_results(agent.requests_for(AGENT)[-1])[0]["status"] == "ok"


def test_tool_mode_stream_sends_function_call_events(proxy, agent):
    with sdk(proxy).responses.stream(model=AGENT, input=HARD, tools=[FUSION, LOOKUP]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = collapse([e.type for e in events])
    assert types[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.fusion_call.in_progress"]
    assert types[-6:] == ["response.output_item.done", "response.output_item.added",
                          "response.function_call_arguments.delta", "response.function_call_arguments.done",
                          "response.output_item.done", "response.completed"]
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert done.name == "lookup" and json.loads(done.arguments) == {"q": "company size"}
    assert [item.type for item in final.output] == ["openrouter:fusion", "function_call"]
    assert final.output[1].parsed_arguments is None or final.output[1].arguments


def test_what_the_model_says_before_it_calls_fusion_is_an_item_of_its_own(proxy, agent):
    def talkative(req):
        if "fusion" in req.tool_names and not fusion_results(req):
            return Reply(text="Let me consult the panel.", tool_calls=[ToolCall("fusion", {"prompt": HARD})])
        return Reply(text="The panel agrees.")

    agent.add(AGENT, talkative)
    with sdk(proxy).responses.stream(model=AGENT, input=HARD, tools=[FUSION]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["message", "openrouter:fusion", "message"]
    assert [item.content[0].text for item in (final.output[0], final.output[2])] == [
        "Let me consult the panel.", "The panel agrees."]
    added = [e.output_index for e in events if e.type == "response.output_item.added"]
    done = [e.output_index for e in events if e.type == "response.output_item.done"]
    assert added == done == [0, 1, 2]  # each item closed before the next opens


def test_the_gate_keeps_fusion_away_from_a_plain_prompt(proxy, agent):
    response = sdk(proxy).responses.create(model=AGENT, input="What is 2 + 2?", tools=[FUSION])
    assert [item.type for item in response.output] == ["message"]
    assert not panel_requests(agent)
    assert "fusion" not in agent.requests_for(AGENT)[0].tool_names


# -- pass-through ------------------------------------------------------------------------------------

def test_pass_through_is_relayed_to_the_providers_responses_untouched(proxy, provider):
    client = sdk(proxy)
    response = client.responses.create(model=PLAIN, input="hi", previous_response_id="resp_kept_upstream",
                                       reasoning={"summary": "detailed"}, extra_body={"anything": [1, 2]})
    assert response.output_text == "a plain answer" and response.id.startswith("resp_scripted")
    sent = provider.requests[-1]
    assert sent.api == "responses"
    assert sent.body == {"model": PLAIN, "input": "hi", "previous_response_id": "resp_kept_upstream",
                         "reasoning": {"summary": "detailed"}, "anything": [1, 2]}
    assert sent.headers["authorization"] != f"Bearer {CLIENT_KEY}"
    with client.responses.stream(model=PLAIN, input="hi") as stream:
        types = [e.type for e in stream]
        assert stream.get_final_response().output_text == "a plain answer"
    assert types[0] == "response.created" and types[-1] == "response.completed"


def test_pass_through_errors_are_the_providers(proxy, provider):
    with pytest.raises(openai.NotFoundError) as caught:
        sdk(proxy).responses.create(model="no/such-model", input="hi")
    assert caught.value.body["code"] == "model_not_found"


# -- the stream's plumbing ----------------------------------------------------------------------------

def test_raw_stream_has_event_lines_and_keepalives_while_the_panel_runs(proxy, provider):
    provider.add(PANEL[0], Reply(text="a slow answer", delay=0.35))
    body = {"model": "openrouter/fusion", "input": QUESTION, "stream": True}
    with httpx.stream("POST", f"{proxy}/responses", json=body, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert lines[0] == "event: response.created" and lines[1].startswith("data: {")
    assert ": keep-alive" in lines
    assert lines[-2] == "event: response.completed" and "[DONE]" not in "".join(lines)
    events = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    names = [line[7:] for line in lines if line.startswith("event: ")]
    assert names == [e["type"] for e in events]


def test_a_client_leaving_the_stream_cancels_the_panel(proxy, provider):
    for model in PANEL:
        provider.add(model, Reply(hang=True))
    with sdk(proxy).responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        for event in stream:
            if event.type == "response.fusion_call.panel.added" and len(panel_requests(provider)) == 3:
                break
    assert wait_for(lambda: len(panel_requests(provider)) == 3 and all(r.cancelled for r in panel_requests(provider)))


# -- in process: wrap_openai ---------------------------------------------------------------------------

@pytest.fixture
def local_provider():
    scripted = ScriptedProvider({
        PANEL[0]: "Answer A.", PANEL[1]: "Answer B.", PANEL[2]: "Answer C.",
        JUDGE: judge_behaviour(), AGENT: calling_model, PLAIN: "a plain answer",
    })
    yield scripted
    scripted.close()


CONFIG = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30)


def test_wrap_openai_sync_alias_tool_and_pass_through(local_provider):
    client = wrap_openai(local_provider.openai(), config=CONFIG)
    alias = client.responses.create(model="openrouter/fusion", input=QUESTION)
    assert alias.output_text == "The fused answer." and alias.output[0].type == "openrouter:fusion"
    with client.responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        types = collapse([e.type for e in stream])
    assert types == STANDARD_ALIAS_STREAM
    tool = client.responses.create(model=AGENT, input=HARD, tools=[FUSION, LOOKUP])
    assert [item.type for item in tool.output] == ["openrouter:fusion", "function_call"]
    plain = client.responses.create(model=PLAIN, input="hi")
    assert plain.output_text == "a plain answer" and local_provider.requests[-1].api == "responses"
    raw = client.responses.with_raw_response.create(model="openrouter/fusion", input=QUESTION)
    assert raw.headers["x-should-retry"] == "false" and raw.parse().output[0].type == "openrouter:fusion"


async def test_wrap_openai_async_alias_stream_and_tool_continuation(local_provider):
    client = wrap_openai(local_provider.async_openai(), config=CONFIG)
    async with client.responses.stream(model="openrouter/fusion", input=QUESTION) as stream:
        types = collapse([e.type async for e in stream])
        final = await stream.get_final_response()
    assert types == STANDARD_ALIAS_STREAM and final.output_text == "The fused answer."
    first = await client.responses.create(model=AGENT, input=HARD, tools=[FUSION, LOOKUP])
    call = first.output[1]
    replay = [{"role": "user", "content": HARD}, *(item.to_dict() for item in first.output),
              {"type": "function_call_output", "call_id": call.call_id, "output": LOOKUP_RESULT}]
    second = await client.responses.create(model=AGENT, input=replay, tools=[FUSION, LOOKUP])
    assert second.output_text == "Hybrid work: the panel said ok."
    plain = await client.responses.create(model=PLAIN, input="hi")
    assert plain.output_text == "a plain answer"


async def test_only_urls_a_panelist_retrieved_are_cited(local_provider):
    local_provider.add(PANEL[0], researcher("sourdough starter feeding", fetch_first=True))
    local_provider.add(PANEL[1], researcher("starter hydration"))

    def writer(req):
        if not is_writer(req):
            return Reply(json=ANALYSIS)
        result = fusion_results(req)[0]
        return Reply(text="Summary: " + " ".join(r["content"] for r in result["responses"]))

    local_provider.add(JUDGE, writer)
    config = FusionConfig(panel=PANEL[:2], judge=JUDGE, search=f"local:{CORPUS}", max_tool_calls=3)
    client = wrap_openai(local_provider.async_openai(), config=config)
    question = "What makes a sourdough starter active, and how should it be fed?"
    for streamed in (False, True):
        if streamed:
            async with client.responses.stream(model="openrouter/fusion", input=question) as stream:
                events = [e async for e in stream]
                response = await stream.get_final_response()
            assert any(e.type == "response.output_text.annotation.added" for e in events)
        else:
            response = await client.responses.create(model="openrouter/fusion", input=question)
        message = response.output[-1]
        text, annotations = message.content[0].text, message.content[0].annotations
        cited = [a.url for a in annotations]
        assert cited and all(u.startswith("corpus://") for u in cited) and INVENTED not in cited
        for a in annotations:
            assert a.type == "url_citation" and text[a.start_index:a.end_index] == a.url
        sources = response.output[0].sources
        assert {s["url"] for s in sources} >= set(cited) and all(s["title"] for s in sources)


def test_the_scripted_provider_serves_responses(local_provider):
    with local_provider.serve() as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
        response = client.responses.create(model=AGENT, input=HARD, tools=[LOOKUP], instructions="Be brief.")
    assert response.output[0].type == "function_call" and response.output[0].name == "lookup"
    request = local_provider.requests[-1]
    assert request.api == "responses" and request.tool_names == ["lookup"]
    assert request.system_text == "Be brief." and request.last_user_text == HARD


def test_concurrent_streams_each_get_their_own_fusion_events(proxy, provider):
    async def one(client, i):
        async with client.responses.stream(model="openrouter/fusion", input=f"{QUESTION} ({i})") as stream:
            ids = {e.item_id async for e in stream if e.type.startswith("response.fusion_call.")}
            return ids, (await stream.get_final_response()).output[0].id

    async def main():
        client = openai.AsyncOpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
        return await asyncio.gather(*(one(client, i) for i in range(4)))

    results = asyncio.run(main())
    for ids, fusion_id in results:
        assert ids == {fusion_id}
    assert len({fusion_id for _, fusion_id in results}) == 4
