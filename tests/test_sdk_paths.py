"""Every path of the openai SDK, on ``OpenAI`` and ``AsyncOpenAI`` alike, through ``wrap_openai``.

One matrix: each test runs once per side (``side``: sync or async), so a path that works on
one client and not the other fails. The paths: alias, tool mode, pass-through, plugins in
``extra_body`` and as a keyword, a disabled plugin, the ``n > 1`` refusal, tool mode's
continuation, streaming; the SDK's own ``with_raw_response``, ``with_streaming_response``,
``parse``, the ``stream()`` helper, ``with_options``, its sentinels; ``AzureOpenAI``; and what
a client carries (default headers and query, organization, project, a custom ``http_client``),
which must reach fusion's inner calls as it reaches a pass-through request.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.testing import LoopThread, Reply, ScriptedProvider, StreamingASGITransport, ThreadedASGITransport
from tests.conftest import JUDGE, PANEL
from tests.frameworks.conftest import (
    AGENT,
    AGENT_ANSWER,
    HARD,
    LOOKUP_RESULT,
    PLAIN,
    PLAIN_ANSWER,
    VERDICT,
    WRITER_ANSWER,
    assert_fused,
    panel_requests,
    proxy_url,  # noqa: F401  (the fixture)
    world,  # noqa: F401  (the fixture)
)

FUSION = "openrouter/fusion"
FUSION_TOOL = {"type": "openrouter:fusion"}
LOOKUP = {"type": "function", "function": {"name": "lookup", "description": "Look up a fact about the company",
                                           "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
MESSAGES = [{"role": "user", "content": HARD}]


class Verdict(BaseModel):
    answer: str
    confidence: float


@dataclass
class Side:
    """One side of the matrix: how to make its clients and how to finish its calls."""

    flavour: str  # "sync" | "async"
    provider: ScriptedProvider
    config: FusionConfig

    @property
    def is_async(self) -> bool:
        return self.flavour == "async"

    def unwrapped(self, **options: Any) -> Any:
        return self.provider.async_openai(**options) if self.is_async else self.provider.openai(**options)

    def client(self, **options: Any) -> Any:
        return wrap_openai(self.unwrapped(**options), config=self.config)

    def http_client(self, on_request: Callable[[httpx2.Request], None]) -> Any:
        """A custom ``http_client`` of the user's, to the scripted provider, seeing every request."""
        if self.is_async:
            async def hook(request: httpx2.Request) -> None:
                on_request(request)
            return httpx2.AsyncClient(transport=self.provider.async_transport(), event_hooks={"request": [hook]})
        return httpx2.Client(transport=self.provider.transport(), event_hooks={"request": [on_request]})

    async def __call__(self, result: Any) -> Any:
        """The value of a call on either side (awaited on the async one)."""
        return await result if inspect.isawaitable(result) else result

    async def chunks(self, stream: Any) -> list[Any]:
        if self.is_async:
            return [chunk async for chunk in stream]
        return list(stream)

    async def create(self, client: Any, **kwargs: Any) -> Any:
        return await self(client.chat.completions.create(**kwargs))


@pytest.fixture(params=["sync", "async"])
def side(request, world, config) -> Side:  # noqa: F811
    return Side(request.param, world, config)


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# -- the wrapper's own paths ------------------------------------------------------------------------

async def test_alias(side):
    completion = await side.create(side.client(), model=FUSION, messages=MESSAGES)
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == WRITER_ANSWER
    assert completion.fusion["status"] == "ok"
    assert_fused(side.provider)


async def test_tool_mode(side):
    completion = await side.create(side.client(), model=AGENT, messages=MESSAGES, tools=[FUSION_TOOL])
    assert completion.choices[0].message.content == AGENT_ANSWER
    assert_fused(side.provider)
    first = side.provider.requests_for(AGENT)[0]
    assert first.tool_names == ["fusion"] and "openrouter:fusion" not in json.dumps(first.body)


async def test_pass_through_sends_what_the_unwrapped_client_sends(side):
    kwargs = {"model": PLAIN, "messages": MESSAGES, "temperature": 0.3, "tools": [LOOKUP],
              "extra_body": {"custom": 1}, "extra_headers": {"X-Trace": "t"}}
    completion = await side.create(side.client(), **kwargs)
    assert completion.choices[0].message.content == PLAIN_ANSWER
    await side.create(side.unwrapped(), **kwargs)
    wrapped, unwrapped = side.provider.requests
    assert wrapped.body == unwrapped.body and wrapped.headers["x-trace"] == "t"
    assert panel_requests(side.provider) == []


@pytest.mark.parametrize("where", ["keyword", "extra_body"])
async def test_plugins(side, where):
    plugins = [{"id": "fusion", "analysis_models": [PANEL[0], PANEL[1]]}]
    passed = {"plugins": plugins} if where == "keyword" else {"extra_body": {"plugins": plugins}}
    client = side.client()
    tool_mode = await side.create(client, model=AGENT, messages=MESSAGES, **passed)
    assert tool_mode.choices[0].message.content == AGENT_ANSWER
    alias = await side.create(client, model=FUSION, messages=MESSAGES, **passed)
    assert alias.choices[0].message.content == WRITER_ANSWER
    assert sorted(r.model for r in panel_requests(side.provider)) == sorted([PANEL[0], PANEL[1]] * 2)


async def test_a_disabled_plugin(side):
    client = side.client()
    plugins = [{"id": "fusion", "enabled": False}]
    completion = await side.create(client, model=AGENT, messages=MESSAGES, plugins=plugins)
    assert completion.choices[0].message.content == AGENT_ANSWER  # the model answered alone
    assert panel_requests(side.provider) == []
    assert side.provider.requests[0].body["plugins"] == plugins  # passed on as it was
    with pytest.raises(openai.BadRequestError) as refused:
        await side.create(client, model=FUSION, messages=MESSAGES, plugins=plugins)
    assert refused.value.body["param"] == "plugins"


@pytest.mark.parametrize("mode", ["alias", "tool"])
async def test_n_above_one_is_refused(side, mode):
    kwargs = {"model": FUSION} if mode == "alias" else {"model": AGENT, "tools": [FUSION_TOOL]}
    with pytest.raises(openai.BadRequestError) as refused:
        await side.create(side.client(), messages=MESSAGES, n=2, **kwargs)
    assert refused.value.status_code == 400 and refused.value.body["param"] == "n"
    assert side.provider.requests == []  # refused before anything was paid for


async def test_tool_mode_continuation(side):
    """The calling model calls fusion, then the caller's tool; the caller runs it and calls again:
    the model reads the fusion exchange spliced back before its own call, and no second panel."""
    client = side.client()
    messages = list(MESSAGES)
    first = await side.create(client, model=AGENT, messages=messages, tools=[LOOKUP, FUSION_TOOL])
    message = first.choices[0].message
    assert first.choices[0].finish_reason == "tool_calls" and [c.function.name for c in message.tool_calls] == ["lookup"]
    messages += [message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": LOOKUP_RESULT}]
    second = await side.create(client, model=AGENT, messages=messages, tools=[LOOKUP, FUSION_TOOL])
    assert second.choices[0].message.content == AGENT_ANSWER
    assert_fused(side.provider)
    seen = side.provider.requests_for(AGENT)[-1].messages
    calls = [c["function"]["name"] for m in seen if m["role"] == "assistant" for c in m.get("tool_calls") or []]
    assert calls == ["fusion", "lookup"]
    assert json.loads(next(m["content"] for m in seen if m["role"] == "tool"))["status"] == "ok"


@pytest.mark.parametrize("mode", ["alias", "tool", "pass"])
async def test_streaming(side, mode):
    model, answer, extra = {"alias": (FUSION, WRITER_ANSWER, {}), "tool": (AGENT, AGENT_ANSWER, {"tools": [FUSION_TOOL]}),
                            "pass": (PLAIN, PLAIN_ANSWER, {})}[mode]
    stream = await side.create(side.client(), model=model, messages=MESSAGES, stream=True,
                               stream_options={"include_usage": True}, **extra)
    chunks = await side.chunks(stream)
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert text_of(chunks) == answer and chunks[-1].usage.total_tokens > 0
    if mode == "pass":
        assert panel_requests(side.provider) == []
    else:
        assert_fused(side.provider)


# -- the SDK's other paths ---------------------------------------------------------------------------

async def test_with_raw_response(side):
    client = side.client()
    raw = await side(client.chat.completions.with_raw_response.create(model=FUSION, messages=MESSAGES))
    assert raw.headers["x-should-retry"] == "false"  # a fused call is never re-sent by the SDK
    assert raw.parse().choices[0].message.content == WRITER_ANSWER
    raw = await side(client.chat.completions.with_raw_response.create(model=AGENT, messages=MESSAGES,
                                                                        plugins=[{"id": "fusion"}]))
    assert raw.parse().choices[0].message.content == AGENT_ANSWER
    raw = await side(client.chat.completions.with_raw_response.create(model=PLAIN, messages=MESSAGES))
    assert raw.parse().choices[0].message.content == PLAIN_ANSWER
    assert "x-should-retry" not in raw.headers and raw.headers["x-request-id"].startswith("req_scripted_")
    assert_fused(side.provider, turns=2)


@pytest.mark.parametrize("stream", [False, True])
async def test_with_streaming_response(side, stream):
    create = side.client().chat.completions.with_streaming_response.create
    if side.is_async:
        async with create(model=FUSION, messages=MESSAGES, stream=stream) as response:
            parsed = await response.parse()
            result = await side.chunks(parsed) if stream else parsed
    else:
        with create(model=FUSION, messages=MESSAGES, stream=stream) as response:
            parsed = response.parse()
            result = list(parsed) if stream else parsed
    assert response.headers["x-should-retry"] == "false"
    assert (text_of(result) if stream else result.choices[0].message.content) == WRITER_ANSWER
    assert_fused(side.provider)


@pytest.mark.parametrize("model", [FUSION, AGENT])
async def test_parse_with_a_pydantic_response_format(side, model):
    completion = await side(side.client().chat.completions.parse(
        model=model, messages=MESSAGES, response_format=Verdict, plugins=[{"id": "fusion"}]))
    assert completion.choices[0].message.parsed == Verdict(**VERDICT)
    assert_fused(side.provider)
    answering = side.provider.requests[-1]  # the writer in alias mode, the calling model in tool mode
    assert answering.response_format["type"] == "json_schema"


async def test_with_raw_response_parse(side):
    raw = await side(side.client().chat.completions.with_raw_response.parse(
        model=FUSION, messages=MESSAGES, response_format=Verdict))
    assert raw.parse().choices[0].message.parsed == Verdict(**VERDICT)
    assert_fused(side.provider)


@pytest.mark.parametrize("response_format", [None, Verdict])
async def test_the_stream_helper(side, response_format):
    options = {"response_format": response_format} if response_format else {}
    manager = side.client().chat.completions.stream(model=FUSION, messages=MESSAGES, **options)
    if side.is_async:
        async with manager as stream:
            events = [event async for event in stream]
            final = await stream.get_final_completion()
    else:
        with manager as stream:
            events = list(stream)
            final = stream.get_final_completion()
    assert "content.done" in {e.type for e in events}
    if response_format is None:
        assert final.choices[0].message.content == WRITER_ANSWER
    else:
        assert final.choices[0].message.parsed == Verdict(**VERDICT)
    assert_fused(side.provider)


async def test_with_options(side):
    client = side.client()
    copy = client.with_options(timeout=30, max_retries=1)
    assert type(copy) is type(client) and copy.unwrapped is client.unwrapped
    assert isinstance(copy, openai.AsyncOpenAI if side.is_async else openai.OpenAI)
    assert (await side.create(copy, model=FUSION, messages=MESSAGES)).choices[0].message.content == WRITER_ANSWER
    assert (await side.create(copy, model=PLAIN, messages=MESSAGES)).choices[0].message.content == PLAIN_ANSWER
    assert_fused(side.provider)


SENTINELS = {"omit": openai.omit, "NOT_GIVEN": openai.NOT_GIVEN, "None": None}
BODY_FIELDS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "seed", "stop", "user", "tool_choice",
               "parallel_tool_calls", "response_format", "stream_options", "metadata", "n", "stream")


def sentinel_fields(sentinel: Any) -> dict[str, Any]:
    """``sentinel`` in every field whose type takes it: the body's fields take all three; the
    SDK's request options take ``None`` (``extra_*``) and ``NOT_GIVEN`` or ``None`` (``timeout``)."""
    fields = {name: sentinel for name in BODY_FIELDS}
    fields.update(extra_headers=None, extra_query=None, extra_body=None)
    if sentinel is not openai.omit:
        fields["timeout"] = sentinel
    return fields


@pytest.mark.parametrize("sentinel", list(SENTINELS))
@pytest.mark.parametrize("mode", ["alias", "tool", "pass"])
async def test_sentinels_behave_as_on_the_unwrapped_client(side, sentinel, mode):
    fields = sentinel_fields(SENTINELS[sentinel])
    model, answer, extra = {"alias": (FUSION, WRITER_ANSWER, {}), "tool": (AGENT, AGENT_ANSWER, {"tools": [FUSION_TOOL]}),
                            "pass": (PLAIN, PLAIN_ANSWER, {})}[mode]
    completion = await side.create(side.client(), model=model, messages=MESSAGES, **fields, **extra)
    assert completion.choices[0].message.content == answer
    if mode == "pass":
        await side.create(side.unwrapped(), model=model, messages=MESSAGES, **fields, **extra)
        wrapped, unwrapped = side.provider.requests
        assert wrapped.body == unwrapped.body
    else:
        assert_fused(side.provider)


async def test_timeout_none_waits_as_long_as_it_takes(side):
    client = side.client()
    for model in (FUSION, PLAIN):
        assert (await side.create(client, model=model, messages=MESSAGES, timeout=None)).choices[0].message.content
    assert_fused(side.provider)


async def test_a_sentinel_the_sdk_refuses_is_refused_alike(side):
    """``timeout=omit`` is no value the SDK takes: the wrapped client fails as the unwrapped one
    does, before anything is sent."""
    with pytest.raises(TypeError) as unwrapped:
        await side.create(side.unwrapped(), model=PLAIN, messages=MESSAGES, timeout=openai.omit)
    with pytest.raises(TypeError) as wrapped:
        await side.create(side.client(), model=FUSION, messages=MESSAGES, timeout=openai.omit)
    assert str(wrapped.value) == str(unwrapped.value)
    assert side.provider.requests == []


# -- what the client carries ------------------------------------------------------------------------

async def test_the_clients_settings_reach_every_inner_call(side):
    """Default headers and query, organization, project and a custom ``http_client``: fusion's
    inner calls leave through the caller's own client, with all it carries."""
    sent: list[httpx2.Request] = []
    client = side.client(default_headers={"X-Team": "blue"}, default_query={"tenant": "t1"}, organization="org-1",
                         project="proj-1", http_client=side.http_client(sent.append))
    await side.create(client, model=FUSION, messages=MESSAGES)
    await side.create(client, model=PLAIN, messages=MESSAGES)
    assert_fused(side.provider)
    received = side.provider.requests
    assert len(sent) == len(received) == 6  # 3 panelists, judge, writer, then the pass-through
    for request in received:
        assert request.headers["x-team"] == "blue"
        assert request.headers["openai-organization"] == "org-1" and request.headers["openai-project"] == "proj-1"
        assert request.headers["authorization"] == "Bearer test-key"
    assert all(r.url.params["tenant"] == "t1" for r in sent)


def routed(side: Side, seen: list[tuple[str, str, str | None]]) -> Any:
    """An ``http_client`` to the scripted provider under any URL scheme: OpenRouter's
    ``/api/v1/chat/completions``, Azure's ``/openai/deployments/{model}/chat/completions?
    api-version=...`` with its key in ``api-key``; records each request's path, query and key."""
    async def app(scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            seen.append((scope["path"], scope["query_string"].decode(), headers.get("api-key")))
            if scope["path"].endswith("/chat/completions"):
                scope = {**scope, "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions"}
        await side.provider.app(scope, receive, send)

    if side.is_async:
        return httpx2.AsyncClient(transport=StreamingASGITransport(app))
    return httpx2.Client(transport=ThreadedASGITransport(app, loop=LoopThread()))


async def test_a_base_url_with_a_path_of_its_own(side):
    """OpenRouter's base URL is ``https://openrouter.ai/api/v1``: the SDK's path for it is
    ``/api/v1/chat/completions``, which fusion serves like ``/v1/chat/completions``."""
    seen: list[tuple[str, str, str | None]] = []
    client = side.client(base_url="http://scripted.test/api/v1", http_client=routed(side, seen))
    assert (await side.create(client, model=FUSION, messages=MESSAGES)).choices[0].message.content == WRITER_ANSWER
    assert_fused(side.provider)
    assert {path for path, _, _ in seen} == {"/api/v1/chat/completions"}  # the inner calls, there too


async def test_azure(side):
    seen: list[tuple[str, str, str | None]] = []
    azure = (openai.AsyncAzureOpenAI if side.is_async else openai.AzureOpenAI)(
        azure_endpoint="https://example-resource.openai.azure.com", api_key="azure-key", api_version="2024-10-21",
        http_client=routed(side, seen), max_retries=0)
    client = wrap_openai(azure, config=side.config)
    assert isinstance(client, type(azure))
    assert (await side.create(client, model=PLAIN, messages=MESSAGES)).choices[0].message.content == PLAIN_ANSWER
    assert (await side.create(client, model=FUSION, messages=MESSAGES)).choices[0].message.content == WRITER_ANSWER
    assert_fused(side.provider)
    models = [PLAIN, *PANEL, JUDGE, JUDGE]
    assert sorted(seen) == sorted((f"/openai/deployments/{m}/chat/completions", "api-version=2024-10-21", "azure-key")
                                  for m in models)


# -- retries: once for a fused call, as the SDK does for the rest ------------------------------------

async def test_the_sdk_never_resends_a_fused_call(side):
    for model in PANEL:
        side.provider.add(model, Reply(status=500, error="down"))
    client = wrap_openai(side.unwrapped(max_retries=2), config=side.config.replace(max_retries=0))
    with pytest.raises(openai.APIStatusError) as failed:
        await side.create(client, model=FUSION, messages=MESSAGES)
    assert failed.value.status_code == 502 and failed.value.body["code"] == "all_panels_failed"
    assert sorted(r.model for r in side.provider.requests) == sorted(PANEL)  # one panel, not three


async def test_a_client_timeout_never_reruns_the_panel(side):
    """The fused call is bounded by the client's own timeout, so it answers (here: the deadline
    passed, not retried) before the SDK would give up and re-send it for a new panel."""
    for model in PANEL:
        side.provider.add(model, Reply(text="slow", delay=2))
    client = side.client(max_retries=2).with_options(timeout=0.5)
    with pytest.raises(openai.APIStatusError) as info:
        await side.create(client, model=FUSION, messages=MESSAGES)
    assert info.value.status_code == 504 and info.value.code == "deadline_exceeded"
    assert len(panel_requests(side.provider)) == len(PANEL)


async def test_a_client_timeout_leaves_room_for_the_answer(side):
    """One slow panelist past the client's timeout: the others' answers are fused in time."""
    side.provider.add(PANEL[0], Reply(text="slow", delay=5))
    client = side.client(max_retries=2).with_options(timeout=1.5)
    completion = await side.create(client, model=FUSION, messages=MESSAGES)
    assert completion.fusion["status"] == "ok" and len(completion.fusion["responses"]) == len(PANEL) - 1
    assert len(panel_requests(side.provider)) == len(PANEL)


async def test_a_pass_through_is_retried_as_the_sdk_retries(side):
    side.provider.add(PLAIN, [Reply(status=500, error="blip", headers={"retry-after-ms": "10"}), PLAIN_ANSWER])
    client = side.client(max_retries=1)
    assert (await side.create(client, model=PLAIN, messages=MESSAGES)).choices[0].message.content == PLAIN_ANSWER
    assert [r.model for r in side.provider.requests] == [PLAIN, PLAIN]


# -- the same paths through the proxy --------------------------------------------------------------

async def test_every_path_through_the_proxy(side, proxy_url):  # noqa: F811
    """The plain SDK pointed at ``fusion-tool serve``: the same paths, the same answers."""
    options = {"base_url": proxy_url, "api_key": "anything", "max_retries": 0}
    client = openai.AsyncOpenAI(**options) if side.is_async else openai.OpenAI(**options)
    completions = client.chat.completions
    tool_mode = {"extra_body": {"plugins": [{"id": "fusion"}]}}
    assert (await side(completions.create(model=FUSION, messages=MESSAGES))).choices[0].message.content == WRITER_ANSWER
    assert (await side(completions.create(model=AGENT, messages=MESSAGES, tools=[FUSION_TOOL]))
            ).choices[0].message.content == AGENT_ANSWER
    assert (await side(completions.create(model=AGENT, messages=MESSAGES, **tool_mode))
            ).choices[0].message.content == AGENT_ANSWER
    chunks = await side.chunks(await side(completions.create(model=FUSION, messages=MESSAGES, stream=True)))
    assert text_of(chunks) == WRITER_ANSWER
    raw = await side(completions.with_raw_response.create(model=FUSION, messages=MESSAGES))
    assert raw.parse().choices[0].message.content == WRITER_ANSWER
    parsed = await side(completions.parse(model=FUSION, messages=MESSAGES, response_format=Verdict))
    assert parsed.choices[0].message.parsed == Verdict(**VERDICT)
    fields = sentinel_fields(openai.NOT_GIVEN)
    assert (await side(completions.create(model=FUSION, messages=MESSAGES, **fields))
            ).choices[0].message.content == WRITER_ANSWER
    assert_fused(side.provider, turns=7)
    side.provider.reset()
    if side.is_async:
        async with completions.with_streaming_response.create(model=FUSION, messages=MESSAGES) as response:
            streamed = await response.parse()
        async with completions.stream(model=FUSION, messages=MESSAGES) as stream:
            final = await stream.get_final_completion()
    else:
        with completions.with_streaming_response.create(model=FUSION, messages=MESSAGES) as response:
            streamed = response.parse()
        with completions.stream(model=FUSION, messages=MESSAGES) as stream:
            final = stream.get_final_completion()
    assert streamed.choices[0].message.content == final.choices[0].message.content == WRITER_ANSWER
    assert (await side(completions.create(model=PLAIN, messages=MESSAGES))).choices[0].message.content == PLAIN_ANSWER
    assert_fused(side.provider, turns=2)
    with pytest.raises(openai.BadRequestError) as refused:
        await side(completions.create(model=FUSION, messages=MESSAGES, n=2))
    assert refused.value.body["param"] == "n"


# -- lifecycle ---------------------------------------------------------------------------------------

def test_closing_a_sync_client_ends_the_thread_it_started(world, config):  # noqa: F811
    import threading

    before = set(threading.enumerate())
    with wrap_openai(world.openai(), config=config) as client:
        client.chat.completions.create(model=FUSION, messages=MESSAGES)
        started = {t for t in threading.enumerate() if t not in before and t.name == "fusion-tool-sdk-loop"}
        assert started  # the sync seam runs fusion on a private loop...
    assert not any(t.is_alive() for t in started)  # ...which ends with the client


# -- parity of the surface --------------------------------------------------------------------------

def public(obj: Any) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


def test_both_sides_have_the_same_paths(world, config):  # noqa: F811
    sync = wrap_openai(world.openai(), config=config).chat.completions
    aio = wrap_openai(world.async_openai(), config=config).chat.completions
    for attr in (None, "with_raw_response", "with_streaming_response"):
        assert public(getattr(sync, attr) if attr else sync) == public(getattr(aio, attr) if attr else aio)
