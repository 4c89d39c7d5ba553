"""The scripted provider, driven through the real openai SDK: in process and on loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall

SEARCH_ARGS = {"query": "capital of France, with sources", "max_results": 5}
JSON_VALUE = {"consensus": ["Paris"], "contradictions": [], "score": 0.9}
_unique = itertools.count()


def _tools(req: ScriptedRequest) -> Reply:
    if req.messages[-1].get("role") == "tool":
        return Reply(text="Done.")
    return Reply(
        tool_calls=[ToolCall("web_search", SEARCH_ARGS), ToolCall("web_fetch", '{"url": "https://a.example/"}')]
    )


def _boom(req: ScriptedRequest) -> Reply:
    raise RuntimeError("kaboom: the behaviour failed")


def _flaky(req: ScriptedRequest) -> Reply | str:
    if req.attempt == 1:
        return Reply(status=503, error="overloaded")
    return f"ok on attempt {req.attempt}"


async def _async_echo(req: ScriptedRequest) -> str:
    await asyncio.sleep(0)
    return f"echo: {req.last_user_text}"


BEHAVIOURS: dict[str, Any] = {
    "text": "Paris is the capital of France.",
    "tools": _tools,
    "json": Reply(json=JSON_VALUE),
    "limited": Reply(status=429, headers={"Retry-After": "1"}),
    "boom": _boom,
    "flaky": _flaky,
    "slow": Reply(text="late but here", delay=0.2),
    "hang": Reply(hang=True),
    "long": Reply(text="word " * 40, chunk_size=5),
    "dripping": Reply(text="x" * 200, chunk_size=4, chunk_delay=0.02),
    "echo": _async_echo,
    "raw": {"id": "odd-1", "object": "chat.completion", "created": 0, "model": "raw", "choices": []},
    "script": [Reply(status=500, error="first"), "second", "third"],
}


@pytest.fixture(scope="module")
def served():
    provider = ScriptedProvider(BEHAVIOURS, prices={"text": (1e-5, 3e-5)})
    with provider.serve() as base_url:
        yield provider, base_url
    provider.close()


def _messages(text: str = "What is the capital of France?") -> list[dict[str, Any]]:
    """A message list no other test sends, so that `attempt` starts at 1."""
    return [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": f"{text} #{next(_unique)}"},
    ]


class Caller:
    """One way to reach the provider: in process or loopback, sync or async SDK."""

    def __init__(self, mode: str, provider: ScriptedProvider, base_url: str) -> None:
        self.mode, self.provider, self.base_url = mode, provider, base_url

    @property
    def is_async(self) -> bool:
        return self.mode.endswith("async")

    def _sync_client(self, **kw: Any) -> openai.OpenAI:
        if self.mode.startswith("inproc"):
            return self.provider.openai(**kw)
        return openai.OpenAI(base_url=self.base_url, api_key="test-key", max_retries=0, **kw)

    def _async_client(self, **kw: Any) -> openai.AsyncOpenAI:
        if self.mode.startswith("inproc"):
            return self.provider.async_openai(**kw)
        return openai.AsyncOpenAI(base_url=self.base_url, api_key="test-key", max_retries=0, **kw)

    def create(self, **kw: Any) -> Any:
        if not self.is_async:
            with self._sync_client() as client:
                return client.chat.completions.create(**kw)

        async def go() -> Any:
            async with self._async_client() as client:
                return await client.chat.completions.create(**kw)

        return asyncio.run(go())

    def stream(self, **kw: Any) -> list[Any]:
        if not self.is_async:
            with self._sync_client() as client:
                return list(client.chat.completions.create(stream=True, **kw))

        async def go() -> list[Any]:
            async with self._async_client() as client:
                return [c async for c in await client.chat.completions.create(stream=True, **kw)]

        return asyncio.run(go())


MODES = ["inproc-sync", "inproc-async", "loopback-sync", "loopback-async"]


@pytest.fixture(params=MODES)
def caller(request, served) -> Caller:
    provider, base_url = served
    return Caller(request.param, provider, base_url)


def _content(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# -- replies -----------------------------------------------------------------------------------


def test_text_reply_with_usage_and_cost(caller: Caller) -> None:
    messages = _messages()
    completion = caller.create(model="text", messages=messages)
    assert completion.choices[0].message.content == "Paris is the capital of France."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "text" and completion.object == "chat.completion"
    usage = completion.usage
    assert usage.prompt_tokens == len("Be brief. What is the capital of France? #0".split())
    assert usage.completion_tokens == 6
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    cost = getattr(usage, "cost", None) or usage.model_extra["cost"]
    assert cost == pytest.approx(usage.prompt_tokens * 1e-5 + usage.completion_tokens * 3e-5)
    (req,) = [r for r in caller.provider.requests_for("text") if r.messages == messages]
    assert req.completed and not req.cancelled and req.status_code == 200
    assert req.usage == caller.provider.usage_of(req) == completion.usage.model_dump(exclude_none=True)
    assert req.headers["authorization"] == "Bearer test-key"
    assert req.system_text == "Be brief." and req.last_user_text.startswith("What is the capital")


def test_tool_calls_streamed_and_reassembled(caller: Caller) -> None:
    chunks = caller.stream(model="tools", messages=_messages("Find it."))
    calls: dict[int, dict[str, Any]] = {}
    fragments: dict[int, int] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or ():
            call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
            if delta.id:
                call["id"] = delta.id
                assert delta.type == "function" and delta.function.name
            else:
                assert delta.function.name is None
            call["name"] = call["name"] or delta.function.name
            call["arguments"] += delta.function.arguments or ""
            fragments[delta.index] = fragments.get(delta.index, 0) + 1
    assert [calls[i]["name"] for i in sorted(calls)] == ["web_search", "web_fetch"]
    assert calls[0]["arguments"] == json.dumps(SEARCH_ARGS)
    assert calls[1]["arguments"] == '{"url": "https://a.example/"}'
    assert json.loads(calls[0]["arguments"]) == SEARCH_ARGS
    assert max(fragments.values()) > 2  # a call spans several chunks
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    index = caller.provider.requests[-1].index if caller.mode.startswith("inproc") else None
    if index is not None:
        assert calls[0]["id"] == f"call_{index}_0"


def test_tool_calls_non_streaming_and_tool_loop(caller: Caller) -> None:
    messages = _messages("Find it.")
    completion = caller.create(model="tools", messages=messages)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in message.tool_calls] == ["web_search", "web_fetch"]
    assert json.loads(message.tool_calls[0].function.arguments) == SEARCH_ARGS
    assert message.tool_calls[0].id.startswith("call_") and message.tool_calls[0].id.endswith("_0")
    follow_up = messages + [
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": "Paris."},
    ]
    assert caller.create(model="tools", messages=follow_up).choices[0].message.content == "Done."


def test_json_reply(caller: Caller) -> None:
    completion = caller.create(model="json", messages=_messages(), response_format={"type": "json_object"})
    assert json.loads(completion.choices[0].message.content) == JSON_VALUE
    assert caller.provider.requests_for("json")[-1].response_format == {"type": "json_object"}


def test_rate_limit_surfaces_with_retry_after(caller: Caller) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        caller.create(model="limited", messages=_messages())
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.code == "rate_limit_exceeded"


def test_behaviour_that_raises_is_a_500(caller: Caller) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        caller.create(model="boom", messages=_messages())
    assert info.value.status_code == 500
    assert "kaboom: the behaviour failed" in info.value.message
    assert isinstance(caller.provider.requests_for("boom")[-1].exception, RuntimeError)


def test_unknown_model_is_a_404(caller: Caller) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        caller.create(model="no/such-model", messages=_messages())
    assert info.value.code == "model_not_found"


def test_attempt_counts_let_a_behaviour_fail_once(caller: Caller) -> None:
    messages = _messages()
    with pytest.raises(openai.InternalServerError):
        caller.create(model="flaky", messages=messages)
    assert caller.create(model="flaky", messages=messages).choices[0].message.content == "ok on attempt 2"
    seen = [r for r in caller.provider.requests_for("flaky") if r.messages == messages]
    assert [r.attempt for r in seen] == [1, 2]
    assert seen[0].status_code == 503 and seen[1].status_code == 200
    assert seen[0].index < seen[1].index and seen[0].received_at <= seen[1].received_at


def test_delay_is_honoured(caller: Caller) -> None:
    started = time.perf_counter()
    completion = caller.create(model="slow", messages=_messages())
    assert time.perf_counter() - started >= 0.2
    assert completion.choices[0].message.content == "late but here"


def test_stream_with_include_usage_ends_with_a_usage_chunk(caller: Caller) -> None:
    chunks = caller.stream(model="long", messages=_messages(), stream_options={"include_usage": True})
    assert chunks[0].choices[0].delta.role == "assistant"
    assert _content(chunks) == "word " * 40
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 40
    assert chunks[-2].choices[0].finish_reason == "stop"
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens == 40
    assert all(c.usage is None for c in chunks[:-1])
    assert caller.provider.requests_for("long")[-1].usage["completion_tokens"] == 40


def test_stream_without_include_usage_has_no_usage_chunk(caller: Caller) -> None:
    chunks = caller.stream(model="text", messages=_messages())
    assert _content(chunks) == "Paris is the capital of France."
    assert all(c.choices for c in chunks)


def test_async_behaviour_raw_body_and_scripted_list(caller: Caller) -> None:
    messages = _messages("Hello there")
    assert caller.create(model="echo", messages=messages).choices[0].message.content.startswith(
        "echo: Hello there"
    )
    assert caller.create(model="raw", messages=messages).id == "odd-1"


def test_list_behaviour_plays_in_order_then_repeats() -> None:
    provider = ScriptedProvider({"script": BEHAVIOURS["script"]})
    client = provider.openai()
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="script", messages=_messages())
    answers = [client.chat.completions.create(model="script", messages=_messages()) for _ in range(3)]
    assert [a.choices[0].message.content for a in answers] == ["second", "third", "third"]
    provider.close()


# -- cancellation, streaming, concurrency ------------------------------------------------------


def test_loopback_client_that_gives_up_marks_the_request_cancelled(served) -> None:
    provider, base_url = served
    messages = _messages()
    client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="hang", messages=messages)
    client.close()
    (req,) = [r for r in provider.requests_for("hang") if r.messages == messages]
    assert req.wait_finished(2)
    assert req.cancelled and not req.completed


def test_aserve_client_that_gives_up_marks_the_request_cancelled() -> None:
    provider = ScriptedProvider({"hang": Reply(hang=True), "text": "hi"})

    async def go() -> ScriptedRequest:
        async with provider.aserve() as base_url:
            assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
            async with openai.AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
                assert (await client.chat.completions.create(model="text", messages=[])).choices
                with pytest.raises(openai.APITimeoutError):
                    await client.chat.completions.create(model="hang", messages=[], timeout=0.3)
            req = provider.requests_for("hang")[0]
            assert await req.await_finished(2)
            return req

    req = asyncio.run(go())
    assert req.cancelled and not req.completed


@pytest.mark.parametrize("mode", MODES)
def test_stream_closed_early_marks_the_request_cancelled(mode: str, served) -> None:
    provider, base_url = served
    messages = _messages()
    caller = Caller(mode, provider, base_url)

    def read_two_sync() -> None:
        with caller._sync_client() as client:
            stream = client.chat.completions.create(model="dripping", messages=messages, stream=True)
            for _ in zip(range(2), stream):
                pass
            stream.close()

    async def read_two_async() -> ScriptedRequest:
        async with caller._async_client() as client:
            stream = await client.chat.completions.create(model="dripping", messages=messages, stream=True)
            async for _ in stream:
                break
            await stream.close()
        req = next(r for r in provider.requests_for("dripping") if r.messages == messages)
        assert await req.await_finished(2)
        return req

    if caller.is_async:
        req = asyncio.run(read_two_async())
    else:
        read_two_sync()
        req = next(r for r in provider.requests_for("dripping") if r.messages == messages)
    assert req.wait_finished(2)
    assert req.cancelled and not req.completed


def test_in_process_timeout_cancels_a_hanging_reply(served) -> None:
    provider, _ = served
    messages = _messages()
    with provider.openai(timeout=0.2) as client, pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="hang", messages=messages)
    (req,) = [r for r in provider.requests_for("hang") if r.messages == messages]
    assert req.wait_finished(2) and req.cancelled


def test_in_process_stream_arrives_incrementally() -> None:
    provider = ScriptedProvider({"m": Reply(text="abcdef", chunk_size=2, chunk_delay=0.1)})

    async def go() -> tuple[float, float]:
        async with provider.async_openai() as client:
            started = time.perf_counter()
            stream = await client.chat.completions.create(model="m", messages=[], stream=True)
            first = None
            async for chunk in stream:
                if first is None and chunk.choices[0].delta.content:
                    first = time.perf_counter() - started
            return first or 0.0, time.perf_counter() - started

    first, total = asyncio.run(go())
    assert total - first >= 0.25  # two more content deltas and the finish chunk came later


def test_concurrent_requests_run_in_parallel() -> None:
    provider = ScriptedProvider({"m": Reply(text="hi", delay=0.2)})

    async def go() -> None:
        async with provider.async_openai() as client:
            await asyncio.gather(
                *(client.chat.completions.create(model="m", messages=_messages()) for _ in range(20))
            )

    started = time.perf_counter()
    asyncio.run(go())
    assert time.perf_counter() - started < 2.0  # one after the other would take 4 s
    assert [r.index for r in provider.requests] == list(range(20))
    assert all(r.completed for r in provider.requests)


# -- HTTP surface and helpers ------------------------------------------------------------------


def test_models_endpoint_lists_registered_models(served) -> None:
    provider, base_url = served
    with provider.openai() as client:
        assert [m.id for m in client.models.list()] == list(BEHAVIOURS)
    with openai.OpenAI(base_url=base_url, api_key="k") as client:
        model = client.models.retrieve("text")
        assert model.owned_by == "scripted"


def test_malformed_json_is_a_400(served) -> None:
    provider, base_url = served
    with httpx2.Client(transport=provider.transport(), base_url="http://scripted.test/v1") as client:
        response = client.post("/chat/completions", content=b"{not json")
    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"message", "type", "code"}
    with httpx2.Client(base_url=base_url) as client:
        response = client.post("/chat/completions", content=b"[1, 2")
        assert response.status_code == 400
        assert client.get("/nowhere").status_code == 404


def test_request_helpers_handle_content_parts() -> None:
    req = ScriptedRequest(
        model="m",
        messages=[
            {"role": "developer", "content": [{"type": "text", "text": "Rule one."}]},
            {"role": "user", "content": "old"},
            {"role": "assistant", "content": "reply"},
            {"role": "user", "content": [{"type": "text", "text": "Hello"}, {"type": "image_url"}]},
        ],
        body={},
        headers={},
        stream=False,
        tools=[{"type": "function", "function": {"name": "fusion"}}],
        response_format=None,
        attempt=1,
        index=0,
    )
    assert req.last_user_text == "Hello"
    assert req.system_text == "Rule one."
    assert req.tool_names == ["fusion"]


def test_reset_clears_the_log_and_attempts() -> None:
    provider = ScriptedProvider({"m": "x"})
    with provider.openai() as client:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        provider.reset()
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
    assert [(r.index, r.attempt) for r in provider.requests] == [(0, 1)]
    assert provider.total_usage() == {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": 3e-6}
    provider.close()


_stream_provider = ScriptedProvider()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.characters(exclude_categories=()), max_size=3000), size=st.integers(1, 64))
def test_streamed_deltas_concatenate_to_the_exact_text(text: str, size: int) -> None:
    _stream_provider.add("prop", Reply(text=text, chunk_size=size))
    with _stream_provider.openai() as client:
        chunks = list(client.chat.completions.create(model="prop", messages=[], stream=True))
    deltas = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert "".join(deltas) == text
    assert all(len(d) == size for d in deltas[:-1])
    _stream_provider.reset()


# -- the Responses API -------------------------------------------------------------------------------

LOOKUP_TOOL = {"type": "function", "name": "lookup", "parameters": {"type": "object", "properties": {}}}


def _responses_agent(req: ScriptedRequest) -> Reply:
    if req.messages[-1].get("role") == "tool":
        return Reply(text=f"Done with {req.messages[-1]['content']}.", chunk_size=3)
    return Reply(tool_calls=[ToolCall("lookup", {"q": req.last_user_text})])


def test_responses_create_and_stream_answer_from_the_same_behaviours() -> None:
    with ScriptedProvider({"m": _responses_agent}) as provider, provider.serve() as base_url:
        client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
        first = client.responses.create(model="m", input="size?", instructions="Be brief.", tools=[LOOKUP_TOOL])
        call = first.output[0]
        assert call.type == "function_call" and call.name == "lookup" and json.loads(call.arguments) == {"q": "size?"}
        seen = provider.requests[-1]
        assert seen.api == "responses" and seen.tool_names == ["lookup"] and seen.system_text == "Be brief."
        assert seen.body["input"] == "size?"  # the body as sent; `messages` is its chat reading
        replay = [{"role": "user", "content": [{"type": "input_text", "text": "size?"}]}, call.to_dict(),
                  {"type": "function_call_output", "call_id": call.call_id, "output": "40"}]
        with client.responses.stream(model="m", input=replay) as stream:
            types = [e.type for e in stream]
            final = stream.get_final_response()
        assert final.output_text == "Done with 40."
        assert types[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                             "response.content_part.added"]
        assert types[-4:] == ["response.output_text.done", "response.content_part.done",
                              "response.output_item.done", "response.completed"]
        assert provider.requests[-1].messages[-2]["tool_calls"][0]["id"] == call.call_id
        assert final.usage.input_tokens == provider.requests[-1].usage["prompt_tokens"]


def test_responses_bad_bodies_get_the_providers_400() -> None:
    with ScriptedProvider({"m": "x"}) as provider:
        client = provider.openai()
        with pytest.raises(openai.BadRequestError, match="input"):
            client.post("/responses", body={"model": "m"}, cast_to=dict)
        with pytest.raises(openai.NotFoundError):
            client.responses.create(model="unknown", input="hi")
