"""Tool mode round by round, as the caller sees it: each round of the calling model, streamed or
whole (the chunks, their order, the finish reasons), the transcript each round hands the next,
and the turn's bookkeeping (usage summed over every call, the ``fusion`` record, citations, the
continuation kept for the caller's next request, the reuse store, the deadline, the round
ceiling). Everything goes through the SDK over the scripted provider; two providers' habits it
does not play itself (usage on every chunk, no usage chunk) come from an ASGI filter of its
streamed chunks."""

from __future__ import annotations

import json
import string
from collections.abc import Callable

import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.provider.http import transport_client
from fusion_tool.testing import (
    IN_PROCESS_BASE_URL,
    TEST_API_KEY,
    Reply,
    ScriptedProvider,
    ScriptedRequest,
    StreamingASGITransport,
    ToolCall,
)

from .conftest import JUDGE, PANEL, assert_valid_transcript

AGENT = "agent/m"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
SHORT = "What is 2 + 2?"
FUSION = {"type": "openrouter:fusion"}
FORCED = {"type": "function", "function": {"name": "fusion"}}
LOOKUP = {"type": "function", "function": {"name": "lookup", "description": "Look a thing up",
                                           "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")


# -- helpers -----------------------------------------------------------------------------------


def since_user(req: ScriptedRequest) -> list[dict]:
    users = [i for i, m in enumerate(req.messages) if m["role"] == "user"]
    return req.messages[users[-1] + 1:] if users else list(req.messages)


def results(req: ScriptedRequest) -> list[dict]:
    return [json.loads(m["content"]) for m in since_user(req) if m["role"] == "tool"]


def fusion_results(req: ScriptedRequest) -> list[dict]:
    return [r for r in results(req) if isinstance(r, dict) and "status" in r]


def panel_requests(provider: ScriptedProvider) -> list[ScriptedRequest]:
    return [r for r in provider.requests if r.model in PANEL]


def finishes(chunks) -> list[str]:
    return [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


def text_of(chunks) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def streamed_calls(chunks) -> list[dict]:
    """The tool calls of a stream, put back together by index as a caller's loop does."""
    calls: dict[int, dict] = {}
    for c in chunks:
        for d in (c.choices[0].delta.tool_calls or []) if c.choices else []:
            call = calls.setdefault(d.index, {"id": None, "type": None, "name": "", "arguments": ""})
            call["id"] = call["id"] or d.id
            call["type"] = call["type"] or d.type
            if d.function is not None:
                call["name"] += d.function.name or ""
                call["arguments"] += d.function.arguments or ""
    return [calls[i] for i in sorted(calls)]


def fusion_then(answer: Reply) -> Callable[[ScriptedRequest], Reply]:
    """A calling model that calls fusion (with the user's text) when offered, then gives ``answer``."""
    def behaviour(req: ScriptedRequest) -> Reply:
        if "fusion" in req.tool_names and not fusion_results(req):
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
        return answer
    return behaviour


def stream(client, **kwargs) -> list:
    return list(client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs))


async def astream(client, **kwargs) -> list:
    created = await client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs)
    return [c async for c in created]


class Reshaped:
    """The scripted provider behind a filter of its streamed chunks: ``edit(chunk)`` returns the
    chunk to send instead (``None``: send nothing), to play a real provider's own habits."""

    def __init__(self, provider: ScriptedProvider, edit) -> None:
        self.app = provider.app
        self.edit = edit

    async def __call__(self, scope, receive, send) -> None:
        async def edited(message):
            body = message.get("body", b"") if message["type"] == "http.response.body" else b""
            if body.startswith(b"data: {"):
                chunk = self.edit(json.loads(body[len(b"data: "):]))
                if chunk is None:
                    return await send({**message, "body": b""})
                message = {**message, "body": b"data: " + json.dumps(chunk).encode() + b"\n\n"}
            await send(message)

        await self.app(scope, receive, edited)


def reshaped_client(provider: ScriptedProvider, edit, config: FusionConfig):
    sdk = openai.AsyncOpenAI(base_url=IN_PROCESS_BASE_URL, api_key=TEST_API_KEY, max_retries=0,
                             http_client=transport_client(StreamingASGITransport(Reshaped(provider, edit))))
    return wrap_openai(sdk, config=config)


# -- whole rounds: the bookkeeping ---------------------------------------------------------------


def test_a_whole_turn_sums_every_field_of_every_round_and_names_each_call(provider, config):
    provider.add(AGENT, fusion_then(Reply(text="Final answer from the panel.")))
    client = wrap_openai(provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[FUSION])
    reported = provider.total_usage()
    for name in USAGE_FIELDS:
        assert getattr(completion.usage, name) == reported[name], name
    assert completion.usage.cost == pytest.approx(reported["cost"])
    calls = completion.fusion["calls"]
    assert [c["stage"] for c in calls if c["stage"] != "panel"] == ["caller", "judge", "caller"]
    assert sorted(c["model"] for c in calls if c["stage"] == "panel") == sorted(PANEL)
    callers = [c for c in calls if c["stage"] == "caller"]
    assert [c["model"] for c in callers] == [AGENT, AGENT]
    for record, request in zip(callers, provider.requests_for(AGENT), strict=True):
        assert {k: record[k] for k in USAGE_FIELDS} == {k: request.usage[k] for k in USAGE_FIELDS}
    assert completion.fusion["trace"]["mode"] == "tool"
    assert completion.fusion["status"] == "ok"


def test_a_turn_fusion_did_not_run_in_says_so_and_keeps_no_transcript(provider, config):
    provider.add(AGENT, "Four.")
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": SHORT}], tools=[FUSION])
    record = completion.fusion
    assert record["status"] == "skipped" and record["trace"]["mode"] == "tool"
    assert record["trace"]["gate"]["deliberate"] is False
    assert "messages" not in record["trace"]  # only a turn fusion ran in has an exchange to keep
    assert [c["stage"] for c in record["calls"]] == ["caller"]
    assert completion.usage.total_tokens == provider.total_usage()["total_tokens"]


def test_the_words_a_round_says_beside_its_fusion_call_reach_the_next_round(provider, config):
    said = "Let me weigh the studies first."

    def thinking_aloud(req):
        if not fusion_results(req):
            return Reply(text=said, tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"}, id="f1")])
        return Reply(text="Answered.")

    provider.add(AGENT, thinking_aloud)
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert completion.choices[0].message.content == "Answered."
    turn = provider.requests_for(AGENT)[1].messages[1]
    assert turn["role"] == "assistant" and turn["content"] == said
    assert [c["id"] for c in turn["tool_calls"]] == ["f1"]
    full = completion.fusion["trace"]["messages"]
    assert full[1]["content"] == said and full[2]["tool_call_id"] == "f1"


def _fusion_and_lookup(req: ScriptedRequest) -> Reply:
    """Fusion and the caller's lookup in one message; then (both answered) the final answer."""
    got = results(req)
    if not got:
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"}, id="f1"),
                                 ToolCall("lookup", {"q": "staff"}, id="u1")], chunk_size=5)
    if not any(r == {"rows": 40} for r in got):
        return Reply(text="waiting for the lookup")
    return Reply(text=f"Done with {len(fusion_results(req))} fusion result.", chunk_size=6)


def _continued(message: dict) -> list[dict]:
    return [{"role": "user", "content": HARD}, message,
            {"role": "tool", "tool_call_id": "u1", "content": json.dumps({"rows": 40})}]


def test_fusion_and_a_callers_tool_in_one_message_whole(provider, config):
    provider.add(AGENT, _fusion_and_lookup)
    client = wrap_openai(provider.openai(), config=config)
    completion = client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": HARD}],
                                                tools=[LOOKUP, FUSION])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls] == [
        ("u1", "lookup", {"q": "staff"})]
    assert len(panel_requests(provider)) == len(PANEL)
    # the caller's own loop: its message and its tool's result; the fusion exchange is put back
    messages = _continued(choice.message.model_dump(exclude_none=True))
    again = client.chat.completions.create(model=AGENT, messages=messages, tools=[LOOKUP, FUSION])
    assert again.choices[0].message.content == "Done with 1 fusion result."
    sent = provider.requests_for(AGENT)[-1].messages
    assert_valid_transcript(sent)
    assert [(m["role"], [c["id"] for c in m.get("tool_calls") or []], m.get("tool_call_id")) for m in sent] == [
        ("user", [], None), ("assistant", ["f1"], None), ("tool", [], "f1"),
        ("assistant", ["u1"], None), ("tool", [], "u1")]
    assert json.loads(sent[2]["content"])["status"] == "ok"
    assert len(panel_requests(provider)) == len(PANEL)  # kept, not run again


def test_fusion_and_a_callers_tool_in_one_message_streamed(provider, config):
    provider.add(AGENT, _fusion_and_lookup)
    client = wrap_openai(provider.openai(), config=config)
    chunks = stream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[LOOKUP, FUSION])
    assert [(c["id"], c["type"], c["name"], json.loads(c["arguments"])) for c in streamed_calls(chunks)] == [
        ("u1", "function", "lookup", {"q": "staff"})]
    assert finishes(chunks) == ["tool_calls"]
    message = {"role": "assistant", "content": "", "tool_calls": [
        {"id": "u1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "staff"}'}}]}
    chunks = stream(client, model=AGENT, messages=_continued(message),
                    tools=[LOOKUP, FUSION])
    assert text_of(chunks) == "Done with 1 fusion result."
    sent = provider.requests_for(AGENT)[-1].messages
    assert_valid_transcript(sent)
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "assistant", "tool"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == ["f1"]
    assert len(panel_requests(provider)) == len(PANEL)


# -- how many fusion runs this turn has had -------------------------------------------------------


def test_a_transcript_without_a_user_message_counts_its_fusion_exchange(provider, config):
    earlier = [{"role": "system", "content": "You are a careful analyst."},
               {"role": "assistant", "content": "", "tool_calls": [
                   {"id": "c0", "type": "function", "function": {"name": "fusion", "arguments": '{"prompt": "x"}'}}]},
               {"role": "tool", "tool_call_id": "c0", "content": json.dumps({"status": "ok"})}]
    provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("fusion", {"prompt": "again"})])
                 if req.messages[-1].get("tool_call_id") == "c0" else Reply(text="from the earlier run"))
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=earlier, tools=[FUSION], tool_choice=FORCED)
    assert completion.choices[0].message.content == "from the earlier run"
    first, second = provider.requests_for(AGENT)
    assert "fusion" not in first.tool_names  # it ran in this turn already
    assert results(second)[-1]["failure_reason"] == "fusion_invocation_capped"
    assert panel_requests(provider) == []


def test_the_callers_own_tool_results_do_not_count_as_a_fusion_run(provider, config):
    turn = [{"role": "user", "content": HARD},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "u0", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "u0", "content": json.dumps({"rows": 40})}]
    provider.add(AGENT, fusion_then(Reply(text="Done.")))
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=turn, tools=[LOOKUP, FUSION], tool_choice=FORCED)
    assert completion.choices[0].message.content == "Done."
    assert provider.requests_for(AGENT)[0].tool_names == ["lookup", "fusion"]
    assert [r["status"] for r in fusion_results(provider.requests_for(AGENT)[-1])] == ["ok"]
    assert len(panel_requests(provider)) == len(PANEL)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=6)


def _no_usable_prompt(value) -> bool:
    return not (isinstance(value, dict) and isinstance(value.get("prompt"), str) and value["prompt"].strip())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arguments=JSON.filter(_no_usable_prompt).map(json.dumps) | st.sampled_from(["", "{", "not json", "[1,"]))
def test_arguments_without_a_usable_prompt_are_answered_not_run(provider, config, arguments):
    provider.reset()
    provider.add(AGENT, lambda req: Reply(text="ok") if results(req)
                 else Reply(tool_calls=[ToolCall("fusion", arguments)]))
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert completion.choices[0].message.content == "ok"
    assert results(provider.requests_for(AGENT)[-1]) == [
        {"status": "error", "error": "fusion needs a non-empty 'prompt' string", "failure_reason": "invalid_arguments"}]
    assert panel_requests(provider) == []


# -- what each request to the calling model carries ---------------------------------------------


def test_a_plugin_turn_with_an_empty_tools_list_sends_no_tools(provider, config):
    provider.add(AGENT, "Four.")
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": SHORT}], tools=[], tool_choice="auto",
        plugins=[{"id": "fusion"}])
    body = provider.requests_for(AGENT)[0].body
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(body)  # a provider refuses tools: []


def test_once_fusion_has_run_a_tool_choice_has_nothing_left_to_choose(provider, config):
    provider.add(AGENT, fusion_then(Reply(text="Done.")))
    wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION], tool_choice="auto")
    first, second = (r.body for r in provider.requests_for(AGENT))
    assert first["tool_choice"] == "auto" and [t["function"]["name"] for t in first["tools"]] == ["fusion"]
    assert not {"tools", "tool_choice"} & set(second)


def test_a_whole_request_sends_no_stream_fields_upstream(provider, config):
    provider.add(AGENT, fusion_then(Reply(text="Done.")))
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION], stream=False,
        stream_options={"include_usage": True})
    assert completion.choices[0].message.content == "Done."
    for request in provider.requests_for(AGENT):
        assert not {"stream", "stream_options"} & set(request.body)  # stream_options without stream: refused


def test_the_round_ceiling_stops_a_model_that_keeps_calling_fusion(provider, config):
    provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("fusion", {"prompt": "once more"})]))
    completion = wrap_openai(provider.openai(), config=config).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    rounds = provider.requests_for(AGENT)
    assert len(rounds) == 6
    assert [r["status"] for r in results(rounds[-1])] == ["ok"] + ["error"] * 4
    assert len(panel_requests(provider)) == len(PANEL)
    assert [c["stage"] for c in completion.fusion["calls"]].count("caller") == 6
    # what comes back is the last answer without fusion's calls: no call of a tool the caller never declared
    assert not completion.choices[0].message.tool_calls and completion.choices[0].finish_reason == "stop"


def test_a_streamed_turn_at_the_round_ceiling_ends_with_one_stop_and_no_fusion_call(provider, config):
    provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("fusion", {"prompt": "once more"})]))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert len(provider.requests_for(AGENT)) == 6 and len(panel_requests(provider)) == len(PANEL)
    assert finishes(chunks) == ["stop"] and streamed_calls(chunks) == []
    stop = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert stop.choices[0].index == 0 and stop.model == chunks[0].model
    assert [c for c in chunks if c.usage is not None] == [chunks[-1]]  # the summed usage, once, at the end
    assert chunks[-1].choices == [] and chunks[-1].fusion["status"] == "ok"


# -- the deadline, on a real loopback server -----------------------------------------------------


@pytest.mark.parametrize("streamed", [False, True])
def test_a_calling_model_past_the_deadline_fails_the_request(provider, config, streamed):
    provider.add(AGENT, Reply(text="too late", delay=5))
    with provider.serve() as base_url:
        client = wrap_openai(openai.OpenAI(base_url=base_url, api_key="k", max_retries=0),
                             config=config.replace(deadline=0.5, max_retries=0))
        with pytest.raises(openai.APIStatusError) as info:
            create = client.chat.completions.create
            kwargs = {"model": AGENT, "messages": [{"role": "user", "content": HARD}], "tools": [FUSION]}
            list(create(stream=True, **kwargs)) if streamed else create(**kwargs)
    assert info.value.status_code == 502 and "timed out" in str(info.value)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_calling_model_within_the_deadline_answers(provider, config, streamed):
    provider.add(AGENT, fusion_then(Reply(text="in time", delay=0.3)))
    with provider.serve() as base_url:
        client = wrap_openai(openai.OpenAI(base_url=base_url, api_key="k", max_retries=0),
                             config=config.replace(max_retries=0))
        kwargs = {"model": AGENT, "messages": [{"role": "user", "content": HARD}], "tools": [FUSION]}
        if streamed:
            assert text_of(stream(client, **kwargs)) == "in time"
        else:
            assert client.chat.completions.create(**kwargs).choices[0].message.content == "in time"
    assert len(panel_requests(provider)) == len(PANEL)


# -- reuse: a client's own store -------------------------------------------------------------------


def test_a_reused_result_comes_from_the_clients_own_store(provider, config):
    prompt = "Reuse check: heat pumps against gas boilers for a 1930s house, on ten years of evidence?"
    provider.add(AGENT, lambda req: Reply(text="Done.") if results(req)
                 else Reply(tool_calls=[ToolCall("fusion", {"prompt": prompt})]))
    cfg = config.replace(reuse_ttl=600)
    messages = [{"role": "user", "content": HARD}]
    first = wrap_openai(provider.openai(), config=cfg)
    first.chat.completions.create(model=AGENT, messages=messages, tools=[FUSION])
    assert len(panel_requests(provider)) == len(PANEL)
    again = first.chat.completions.create(model=AGENT, messages=messages, tools=[FUSION])
    assert len(panel_requests(provider)) == len(PANEL)  # the same client: reused, not paid twice
    assert again.fusion["trace"].get("reused")
    other = wrap_openai(provider.openai(), config=cfg)  # its own state, as another server has its own store
    fresh = other.chat.completions.create(model=AGENT, messages=messages, tools=[FUSION])
    assert len(panel_requests(provider)) == 2 * len(PANEL)
    assert not fresh.fusion["trace"].get("reused")


# -- citations ------------------------------------------------------------------------------------


RETRIEVED = "https://fine.example.net/studies/remote-work"
INVENTED = "https://fine.example.net/studies/made-up"


class FakeSearch:
    name = "fake"

    async def search(self, query, *, max_results):
        from fusion_tool.pipeline.research import SearchResult
        return [SearchResult(RETRIEVED, "Remote work", "output held steady")]


def _searching_panelist(req: ScriptedRequest) -> Reply:
    if not any(m["role"] == "tool" for m in req.messages):
        return Reply(tool_calls=[ToolCall("web_search", {"query": "remote work productivity"})])
    return Reply(text=f"Output held steady ({RETRIEVED}).")


@pytest.fixture
def citing(provider, monkeypatch):
    monkeypatch.setattr("fusion_tool.pipeline.research.search_provider_from_env", lambda value, **kw: FakeSearch())
    for model in PANEL:
        provider.add(model, _searching_panelist)
    answer = f"Output held steady ({RETRIEVED}); see also {INVENTED}."
    provider.add(AGENT, fusion_then(Reply(text=answer, chunk_size=7)))
    return FusionConfig(panel=PANEL, judge=JUDGE, panel_timeout=5, deadline=30)


def test_a_whole_tool_mode_answer_cites_only_what_the_panel_retrieved(provider, citing):
    completion = wrap_openai(provider.openai(), config=citing).chat.completions.create(
        model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    message = completion.choices[0].message
    assert [a.url_citation.url for a in message.annotations] == [RETRIEVED]
    cited = message.annotations[0].url_citation
    assert message.content[cited.start_index:cited.end_index] == RETRIEVED
    assert completion.fusion["trace"]["unverified_urls"] == [INVENTED]


def test_a_streamed_tool_mode_answer_cites_only_what_the_panel_retrieved(provider, citing):
    chunks = stream(wrap_openai(provider.openai(), config=citing), model=AGENT,
                    messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    text = text_of(chunks)
    assert text == f"Output held steady ({RETRIEVED}); see also {INVENTED}."
    record = chunks[-1].fusion
    cited = [a["url_citation"] for a in record["annotations"]]
    assert [c["url"] for c in cited] == [RETRIEVED]
    assert all(text[c["start_index"]:c["end_index"]] == c["url"] for c in cited)
    assert record["trace"]["unverified_urls"] == [INVENTED]


# -- streamed rounds ------------------------------------------------------------------------------


def test_a_streamed_turn_opens_with_the_role_ends_once_and_only_the_closing_chunk_has_usage(provider, config):
    provider.add(AGENT, fusion_then(Reply(text="A streamed answer built on the panel.", chunk_size=4)))
    events = []
    client = wrap_openai(provider.openai(), config=config, on_event=events.append)
    chunks = stream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert chunks[0].choices[0].delta.role == "assistant"
    assert text_of(chunks) == "A streamed answer built on the panel."
    assert finishes(chunks) == ["stop"] and chunks[-2].choices[0].finish_reason == "stop"
    assert [c.usage is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    closing = chunks[-1]
    assert closing.choices == [] and closing.id == chunks[-2].id
    reported = provider.total_usage()
    for name in USAGE_FIELDS:
        assert getattr(closing.usage, name) == reported[name], name
    assert closing.usage.cost == pytest.approx(reported["cost"])
    callers = [c for c in closing.fusion["calls"] if c["stage"] == "caller"]
    assert [c["model"] for c in callers] == [AGENT, AGENT]
    assert [c["completion_tokens"] for c in callers] == [r.usage["completion_tokens"]
                                                        for r in provider.requests_for(AGENT)]
    assert closing.fusion["trace"]["mode"] == "tool" and closing.fusion["status"] == "ok"
    assert [e.kind for e in events].count("panelist_start") == len(PANEL)  # the listener hears the panel


def test_a_streamed_callers_tool_call_arrives_whole_in_one_chunk(provider, config):
    provider.add(AGENT, lambda req: Reply(tool_calls=[ToolCall("lookup", {"q": "offices"}, id="u7")], chunk_size=3))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": SHORT}], tools=[LOOKUP, FUSION])
    calls_chunk = next(c for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    choice = calls_chunk.choices[0]
    assert choice.index == 0 and choice.finish_reason == "tool_calls" and calls_chunk.usage is None
    assert choice.delta.role == "assistant"
    [call] = choice.delta.tool_calls
    assert (call.index, call.id, call.type, call.function.name, json.loads(call.function.arguments)) == (
        0, "u7", "function", "lookup", {"q": "offices"})
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    # fusion's own chunks wear the provider's envelope: its completion's id and model, as every other chunk
    [completion_id] = {c.id for c in chunks[:-1] if c is not calls_chunk}
    assert completion_id.startswith("chatcmpl-scripted") and {calls_chunk.id, chunks[-1].id} == {completion_id}


def test_a_stream_whose_first_delta_carries_the_tool_call_hands_it_back(provider, config):
    # api.openai.com's own shape: the role and the first call's head in one delta, no content at all
    head = {"index": 0, "id": "u9", "type": "function", "function": {"name": "lookup", "arguments": ""}}
    provider.add(AGENT, Reply(message_extra={"content": None, "tool_calls": [head]}, finish_reason="tool_calls"))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": SHORT}], tools=[LOOKUP, FUSION])
    assert [(c["id"], c["type"], c["name"]) for c in streamed_calls(chunks)] == [("u9", "function", "lookup")]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert finishes(chunks) == ["tool_calls"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == provider.total_usage()["total_tokens"]
    # nothing of the provider's was passed on as it came, yet fusion's chunks still wear its envelope
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-scripted")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunk_size=st.integers(1, 12),
       queries=st.lists(st.text(string.ascii_letters + " éü☕\"\\", max_size=15), min_size=1, max_size=3),
       words=st.text(string.ascii_letters + " ", max_size=20))
def test_streamed_calls_are_put_back_together_whatever_the_fragments(provider, config, chunk_size, queries, words):
    provider.reset()
    calls = [ToolCall("lookup", {"q": q}, id=f"u{i}") for i, q in enumerate(queries)]
    provider.add(AGENT, Reply(text=words or None, tool_calls=calls, chunk_size=chunk_size))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": SHORT}], tools=[LOOKUP, FUSION])
    assert [(c["id"], c["type"], c["name"], json.loads(c["arguments"])) for c in streamed_calls(chunks)] == [
        (f"u{i}", "function", "lookup", {"q": q}) for i, q in enumerate(queries)]
    assert text_of(chunks) == words
    assert finishes(chunks) == ["tool_calls"]
    assert [c.usage is not None for c in chunks].count(True) == 1 and chunks[-1].usage is not None


def test_a_fusion_call_finished_as_stop_is_still_run_and_the_caller_sees_one_finish(provider, config):
    # some providers say "stop" for a message of tool calls
    provider.add(AGENT, lambda req: Reply(text="The answer.") if fusion_results(req) else
                 Reply(tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"})], finish_reason="stop"))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == "The answer."
    assert finishes(chunks) == ["stop"] and chunks[-2].choices[0].finish_reason == "stop"
    assert len(panel_requests(provider)) == len(PANEL)


def test_a_tool_calls_finish_without_calls_is_not_passed_on(provider, config):
    provider.add(AGENT, Reply(text="Just words.", finish_reason="tool_calls"))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": SHORT}], tools=[LOOKUP, FUSION])
    assert text_of(chunks) == "Just words."
    for c in chunks:  # a caller's loop reads tool_calls off the chunk that says so
        if c.choices and c.choices[0].finish_reason == "tool_calls":
            assert streamed_calls([c]), c


async def test_a_provider_reporting_usage_on_every_chunk_still_gets_one_usage_chunk(provider, config):
    running = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    client = reshaped_client(provider, lambda c: {**c, "usage": c.get("usage") or running} if c.get("choices")
                             else c, config)
    provider.add(AGENT, fusion_then(Reply(text="Every chunk says its usage.", chunk_size=5)))
    chunks = await astream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == "Every chunk says its usage."
    assert [c.usage is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert chunks[-1].usage.total_tokens == provider.total_usage()["total_tokens"]


async def test_a_provider_sending_no_usage_chunk_still_gets_one_closing_chunk(provider, config):
    client = reshaped_client(provider, lambda c: c if c.get("choices") else None, config)
    provider.add(AGENT, fusion_then(Reply(text="No usage from me.", chunk_size=5)))
    chunks = await astream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == "No usage from me."
    assert finishes(chunks) == ["stop"]
    closing = chunks[-1]
    assert closing.choices == [] and closing.fusion["status"] == "ok"
    callers = [c for c in closing.fusion["calls"] if c["stage"] == "caller"]
    assert [(c["model"], c["total_tokens"], c["cost"]) for c in callers] == [(AGENT, 0, None)] * 2
    assert closing.usage.cost is None  # an unknown cost is not free
    others = sum(provider.total_usage(model)["total_tokens"] for model in (*PANEL, JUDGE))
    assert closing.usage.total_tokens == others  # the calling model's rounds reported nothing


def test_a_streamed_call_without_an_id_is_still_answered(provider, config):
    # a provider that sends no call id: the call and its result still pair up
    arguments = json.dumps({"prompt": "the evidence?"})
    provider.add(AGENT, lambda req: Reply(text="Answered.") if fusion_results(req) else Reply(
        message_extra={"content": None, "tool_calls": [
            {"index": 0, "type": "function", "function": {"name": "fusion", "arguments": arguments}}]},
        finish_reason="tool_calls"))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == "Answered."
    sent = provider.requests_for(AGENT)[-1].messages
    assert_valid_transcript(sent)
    assert sent[-1]["tool_call_id"] == sent[-2]["tool_calls"][0]["id"]
    assert not sent[-2]["tool_calls"][0]["id"]  # sent back as the provider sent it: no id is invented
    assert len(panel_requests(provider)) == len(PANEL)


def test_what_a_streamed_round_says_before_fusion_is_never_invented(provider, config):
    said = "Let me weigh the studies first."
    provider.add(AGENT, lambda req: Reply(text="Answered.") if fusion_results(req) else Reply(
        text=said, tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"}, id="f1")], chunk_size=6))
    chunks = stream(wrap_openai(provider.openai(), config=config), model=AGENT,
                    messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == said + "Answered."
    turn = provider.requests_for(AGENT)[1].messages[1]
    assert turn["role"] == "assistant" and said.startswith(turn["content"])


def test_what_a_streamed_round_says_before_fusion_reaches_the_next_round(provider, config):
    said = "Let me weigh the studies first."
    provider.add(AGENT, lambda req: Reply(text="Answered.") if fusion_results(req) else Reply(
        text=said, tool_calls=[ToolCall("fusion", {"prompt": "the evidence?"}, id="f1")], chunk_size=6))
    stream(wrap_openai(provider.openai(), config=config), model=AGENT,
           messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert provider.requests_for(AGENT)[1].messages[1]["content"] == said


async def test_a_round_whose_stream_comes_back_empty_still_closes_the_turn(provider, config):
    # the round after fusion gets an empty stream from the provider: what was streamed stands, and
    # the turn still ends with its closing chunk (the usage, the fusion record)
    first: list[str] = []

    def first_round_only(chunk):
        if chunk.get("model") != AGENT:
            return chunk
        first.append(first[0] if first else chunk["id"])
        return chunk if chunk["id"] == first[0] else None

    provider.add(AGENT, fusion_then(Reply(text="never seen")))
    client = reshaped_client(provider, first_round_only, config)
    chunks = await astream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert text_of(chunks) == "" and len(provider.requests_for(AGENT)) == 2
    closing = chunks[-1]
    assert closing.choices == [] and closing.fusion["status"] == "ok"
    assert len(panel_requests(provider)) == len(PANEL)


async def test_a_provider_that_streams_nothing_still_gets_the_turn_its_closing_chunk(provider, config):
    provider.add(AGENT, Reply(text="never seen"))
    client = reshaped_client(provider, lambda chunk: None if chunk.get("model") == AGENT else chunk, config)
    chunks = await astream(client, model=AGENT, messages=[{"role": "user", "content": HARD}], tools=[FUSION])
    assert len(chunks) == 1  # nothing to pass on but the closing chunk: the usage and the record
    closing = chunks[0]
    assert closing.choices == [] and closing.model == AGENT and closing.object == "chat.completion.chunk"
    assert closing.id.startswith("chatcmpl-") and isinstance(closing.created, int) and closing.created > 0
    assert closing.usage.total_tokens == 0 and closing.fusion["trace"]["mode"] == "tool"
