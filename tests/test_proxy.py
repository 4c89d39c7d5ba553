"""The proxy, end to end: a real uvicorn server on loopback in front of the scripted provider's
loopback server, driven by the openai SDK (sync, async, streaming), raw HTTP and LangChain."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from fusion_tool import FusionConfig
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedProvider, ToolCall

from .conftest import JUDGE, PANEL, is_writer, judge_behaviour, panelist

SERVER_KEY = "proxy-upstream-secret-7f3a9c"  # does not look like a key, so only exact redaction hides it
CLIENT_KEY = "client-side-key-that-goes-nowhere"
PLAIN = "plain/m"
AGENT = "agent/m"
QUESTION = "At what temperature does water boil, and why does it vary with altitude and pressure?"
SEED = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": QUESTION}]}


def behaviours() -> dict:
    return {
        PANEL[0]: panelist("Answer A: 100 C, lower at altitude."),
        PANEL[1]: panelist("Answer B: 100 C; impurities raise it."),
        PANEL[2]: panelist("Answer C: 100 C; pressure cookers go higher."),
        JUDGE: judge_behaviour(),
        PLAIN: Reply(text="a plain answer", headers={"x-ratelimit-remaining": "41", "set-cookie": "provider=1"}),
    }


def serve(config: FusionConfig, **options) -> running:
    options.setdefault("keepalive_seconds", 0.1)
    return running(create_app(config, **options))


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[ScriptedProvider, FusionConfig, str]]:
    """One provider and one proxy for a module (a server takes ~0.2 s to stop): each test gets
    them with the behaviours and the request log reset."""
    provider = ScriptedProvider(behaviours())
    with provider.serve() as upstream:
        config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30,
                              base_url=upstream, api_key=SERVER_KEY, max_retries=0)
        with serve(config) as url:
            yield provider, config, url
    provider.close()


@pytest.fixture
def provider(shared) -> ScriptedProvider:  # this module's, not conftest's
    provider = shared[0]
    for model, behaviour in behaviours().items():
        provider.add(model, behaviour)
    provider.reset()
    return provider


@pytest.fixture
def proxy_config(shared) -> FusionConfig:
    return shared[1]


@pytest.fixture
def upstream(proxy_config) -> str:
    return proxy_config.base_url


@pytest.fixture
def proxy(shared, provider) -> str:
    return shared[2]


def root(url: str) -> str:
    return url.removesuffix("/v1")


def sse_lines(response: httpx.Response) -> list[str]:
    return [line for line in response.text.split("\n") if line]


def data_events(lines: list[str]) -> list[dict | str]:
    return [line[6:] if line == "data: [DONE]" else json.loads(line[6:]) for line in lines if line.startswith("data: ")]


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def panel_requests(provider: ScriptedProvider):
    return [r for r in provider.requests if r.model in PANEL]


# -- the seed's example, with only the URL changed -----------------------------------------------

def test_the_seed_example_works_with_only_the_url_changed(proxy, provider):
    response = httpx.post(f"{proxy}/chat/completions", json=SEED, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "The fused answer."
    assert body["fusion"]["status"] == "ok"
    reported = provider.total_usage()  # the provider's own figures, not the ones the proxy added up
    assert {k: body["usage"][k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")} == {
        k: reported[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    assert body["usage"]["cost"] == pytest.approx(reported["cost"])
    assert sorted(r.model for r in provider.requests) == sorted([*PANEL, JUDGE, JUDGE])
    # the provider saw the server's key, never the client's
    assert {r.headers.get("authorization") for r in provider.requests} == {f"Bearer {SERVER_KEY}"}


def test_sync_sdk_alias_and_fusion_extra(proxy, provider):
    client = openai.OpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    completion = client.chat.completions.create(model="openrouter/fusion", messages=SEED["messages"])
    assert completion.choices[0].message.content == "The fused answer."
    assert completion.usage.cost and completion.usage.cost > 0
    assert completion.model_extra["fusion"]["analysis"]["blind_spots"] == ["superheating"]
    assert completion.model_extra["fusion"]["trace"]


async def test_async_sdk_alias_streaming_with_usage(proxy, provider):
    for model in PANEL:  # long enough for keep-alive comments, which the SDK must skip
        provider.add(model, panelist(f"answer of {model}", delay=0.25))
    client = openai.AsyncOpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    stream = await client.chat.completions.create(model="openrouter/fusion", messages=SEED["messages"],
                                                  stream=True, stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "The fused answer."
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert chunks[-1].model_extra["fusion"]["status"] == "ok"
    assert all(c.usage is None for c in chunks[:-1])
    await client.close()


def test_the_keepalive_interval_is_read_from_the_environment_by_default(provider, proxy_config, monkeypatch):
    # what each worker of `fusion-tool serve --workers N` does: create_app() with no arguments
    monkeypatch.setenv("FUSION_PROXY_KEEPALIVE", "0.1")
    for model in PANEL:
        provider.add(model, panelist(f"answer of {model}", delay=0.5))
    with running(create_app(proxy_config)) as url, httpx.stream(
            "POST", f"{url}/chat/completions", json={**SEED, "stream": True}, timeout=10) as response:
        response.read()
    lines = sse_lines(response)
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: "))
    assert lines[:first_data].count(": keep-alive") >= 3  # 0.5 s of panel at one every 0.1 s, not every 10 s


def test_sync_sdk_streaming_without_usage_drops_the_usage_chunk(proxy):
    client = openai.OpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    chunks = list(client.chat.completions.create(model="openrouter/fusion-flash", messages=SEED["messages"],
                                                 stream=True))
    assert chunks and all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "The fused answer."


def test_raw_sse_keepalives_while_the_panel_runs_then_chunks_then_done(proxy, provider):
    for model in PANEL:
        provider.add(model, panelist(f"answer of {model}", delay=0.5))
    with httpx.stream("POST", f"{proxy}/chat/completions", json={**SEED, "stream": True}, timeout=10) as response:
        response.read()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = sse_lines(response)
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: "))
    assert lines[:first_data].count(": keep-alive") >= 3  # 0.5 s of panel at one every 0.1 s
    events = data_events(lines)
    assert events[-1] == "[DONE]"
    assert all(e["object"] == "chat.completion.chunk" for e in events[:-1])


def test_tool_mode_through_the_proxy(proxy, provider):
    def agent(req):
        if any(m["role"] == "tool" for m in req.messages):
            return Reply(text="Final answer from fusion.")
        if "fusion" in req.tool_names:
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
        return Reply(text="Direct answer.")

    provider.add(AGENT, agent)
    client = openai.OpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    completion = client.chat.completions.create(
        model=AGENT, messages=SEED["messages"], tools=[{"type": "openrouter:fusion"}],
        tool_choice={"type": "function", "function": {"name": "fusion"}})
    assert completion.choices[0].message.content == "Final answer from fusion."
    assert completion.model_extra["fusion"]["trace"]["mode"] == "tool"
    assert len(panel_requests(provider)) == 3
    # the calling model never sees the openrouter:fusion entry, only the fusion function
    first = provider.requests_for(AGENT)[0]
    assert [t["function"]["name"] for t in first.tools] == ["fusion"]


def test_tool_mode_streaming(proxy, provider):
    provider.add(AGENT, lambda req: Reply(text="Streamed direct answer."))
    client = openai.OpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    chunks = list(client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": "Hi"}],
                                                 tools=[{"type": "openrouter:fusion"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Streamed direct answer."
    assert not panel_requests(provider)  # the gate kept a greeting from fusion


# -- pass-through ----------------------------------------------------------------------------------

def test_pass_through_keeps_body_status_and_useful_headers(proxy, provider):
    body = {"model": PLAIN, "messages": [{"role": "user", "content": "hi"}], "some_provider_field": {"x": 1}}
    response = httpx.post(f"{proxy}/chat/completions", json=body,
                          headers={"authorization": f"Bearer {CLIENT_KEY}", "x-title": "my app"})
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "a plain answer"
    assert response.headers["x-ratelimit-remaining"] == "41"
    assert response.headers["x-request-id"].startswith("req_scripted_")
    assert "set-cookie" not in response.headers
    sent = provider.requests_for(PLAIN)[-1]
    assert sent.body == body  # byte for byte, unknown fields included
    assert sent.headers["authorization"] == f"Bearer {SERVER_KEY}"
    assert sent.headers["x-title"] == "my app"


def test_hop_by_hop_and_cookie_headers_stay_on_their_hop():
    from fusion_tool.proxy.passthrough import response_headers

    kept = response_headers([
        ("Content-Type", "text/event-stream"), ("Connection", "keep-alive, X-Hop"), ("Keep-Alive", "timeout=5"),
        ("Transfer-Encoding", "chunked"), ("X-Hop", "1"), ("Set-Cookie", "a=b"), ("Retry-After", "3"),
        ("X-Request-Id", "r1"), ("OpenAI-Processing-Ms", "12"), ("Content-Encoding", "gzip"), ("Server", "nginx"),
    ])
    assert [k.decode() for k, _ in kept] == ["content-type", "retry-after", "x-request-id", "openai-processing-ms",
                                             "content-encoding"]


def test_pass_through_relays_upstream_errors_with_their_status(proxy, provider):
    provider.add(PLAIN, Reply(status=429, error="slow down", headers={"Retry-After": "7"}))
    response = httpx.post(f"{proxy}/chat/completions", json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["message"] == "slow down"
    unknown = httpx.post(f"{proxy}/chat/completions", json={"model": "no/such", "messages": [{"role": "user", "content": "x"}]})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"


def _sse(content: str) -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": PLAIN,
             "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


def test_pass_through_streams_bytes_as_they_come(proxy_config):
    """By causality, not by the clock: the provider sends its second chunk only once the client
    holds the first, which it can only do if the proxy relayed the first as it came."""
    client_has_first = threading.Event()
    released = []

    async def provider_app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": message["type"] + ".complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await send({"type": "http.response.body", "body": _sse("first"), "more_body": True})
        released.append(await asyncio.to_thread(client_has_first.wait, 20))  # False: it never came
        for content in (" second", " third"):
            await send({"type": "http.response.body", "body": _sse(content), "more_body": True})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})

    from fusion_tool.testing._server import serve_in_thread

    with serve_in_thread(provider_app) as upstream, serve(proxy_config.replace(base_url=upstream)) as url:
        client = openai.OpenAI(base_url=url, api_key=CLIENT_KEY, max_retries=0)
        texts = []
        for chunk in client.chat.completions.create(model=PLAIN, messages=[{"role": "user", "content": "x"}],
                                                    stream=True):
            texts.append(chunk.choices[0].delta.content)
            client_has_first.set()
    assert texts == ["first", " second", " third"]
    assert released == [True]  # the rest was sent after the client had read the first chunk


def test_pass_through_is_unreachable_as_502(proxy_config):
    config = proxy_config.replace(base_url="http://127.0.0.1:9/v1")  # the discard port: nothing listens
    with serve(config) as url:
        response = httpx.post(f"{url}/chat/completions", json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"


def test_pass_through_with_an_injected_client(provider, upstream, config):
    client = openai.AsyncOpenAI(base_url=upstream, api_key=SERVER_KEY, max_retries=0)
    with running(create_app(config, client=client)) as url:
        plain = httpx.post(f"{url}/chat/completions", json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
        fused = httpx.post(f"{url}/chat/completions", json=SEED, timeout=10)
    assert plain.status_code == 200 and fused.status_code == 200
    assert {r.headers["authorization"] for r in provider.requests} == {f"Bearer {SERVER_KEY}"}


# -- models and health ---------------------------------------------------------------------------

def test_models_lists_the_aliases_then_the_providers(proxy):
    ids = [m["id"] for m in httpx.get(f"{proxy}/models").json()["data"]]
    assert ids[:2] == ["openrouter/fusion", "openrouter/fusion-flash"]
    assert set(PANEL) | {JUDGE, PLAIN} <= set(ids)
    client = openai.OpenAI(base_url=proxy, api_key="x")
    assert "openrouter/fusion" in [m.id for m in client.models.list()]
    assert httpx.get(f"{root(proxy)}/healthz").json()["status"] == "ok"


def test_models_without_an_upstream_listing_are_just_the_aliases(proxy_config):
    with serve(proxy_config.replace(base_url="http://127.0.0.1:9/v1")) as url:
        ids = [m["id"] for m in httpx.get(f"{url}/models").json()["data"]]
    assert ids == ["openrouter/fusion", "openrouter/fusion-flash"]


# -- failures inside fusion ----------------------------------------------------------------------

def _failing_writer(req):
    return Reply(status=500, error="writer down") if is_writer(req) else judge_behaviour()(req)


def test_a_fusion_that_leaves_no_answer_is_502(proxy, provider):
    provider.add(JUDGE, _failing_writer)
    response = httpx.post(f"{proxy}/chat/completions", json=SEED, timeout=10)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["type"] == "upstream_error" and "writer down" in error["message"]
    assert httpx.get(f"{root(proxy)}/healthz").status_code == 200


def test_a_stream_failing_before_its_first_byte_is_a_502_response(proxy_config, provider):
    provider.add(JUDGE, _failing_writer)
    with serve(proxy_config, keepalive_seconds=30) as url:
        response = httpx.post(f"{url}/chat/completions", json={**SEED, "stream": True}, timeout=10)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"


def test_a_stream_failing_after_its_first_byte_ends_with_an_error_event_then_done(proxy, provider):
    for model in PANEL:
        provider.add(model, panelist("slow answer", delay=0.3))
    provider.add(JUDGE, _failing_writer)
    response = httpx.post(f"{proxy}/chat/completions", json={**SEED, "stream": True}, timeout=10)
    assert response.status_code == 200
    lines = sse_lines(response)
    assert ": keep-alive" in lines
    events = data_events(lines)
    assert events[-1] == "[DONE]"
    assert events[-2]["error"]["type"] == "upstream_error" and "writer down" in events[-2]["error"]["message"]
    writer_calls = [r for r in provider.requests_for(JUDGE) if is_writer(r)]
    assert len(writer_calls) == 1  # nothing retried after the first byte


# -- the in-flight cap ---------------------------------------------------------------------------

def test_the_fusion_cap_answers_429_with_retry_after_and_pass_through_is_not_capped(proxy_config, provider):
    for model in PANEL:
        provider.add(model, panelist("slow answer", delay=0.5))
    with serve(proxy_config, max_inflight=1) as url:
        first: dict = {}
        worker = threading.Thread(target=lambda: first.update(
            r=httpx.post(f"{url}/chat/completions", json=SEED, timeout=10)))
        worker.start()
        assert wait_for(lambda: len(panel_requests(provider)) == 3)
        second = httpx.post(f"{url}/chat/completions", json=SEED)
        streamed = httpx.post(f"{url}/chat/completions", json={**SEED, "stream": True})
        plain = httpx.post(f"{url}/chat/completions", json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
        health = httpx.get(f"{root(url)}/healthz").json()
        worker.join()
    assert second.status_code == 429 and streamed.status_code == 429
    assert int(second.headers["retry-after"]) > 0
    assert second.json()["error"]["type"] == "rate_limit_error"
    assert plain.status_code == 200
    assert health["inflight"] == 1 and health["max_inflight"] == 1
    assert first["r"].status_code == 200


# -- cancellation --------------------------------------------------------------------------------

@pytest.fixture
def hanging_panel(provider):
    for model in PANEL:
        provider.add(model, Reply(hang=True))
    return provider


async def test_a_client_leaving_a_non_streaming_fused_request_cancels_the_panel(proxy, hanging_panel):
    async with httpx.AsyncClient(timeout=10) as client:
        task = asyncio.create_task(client.post(f"{proxy}/chat/completions", json=SEED))
        assert await asyncio.to_thread(wait_for, lambda: len(panel_requests(hanging_panel)) == 3)
        task.cancel()  # the client gives up: its connection closes
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await asyncio.to_thread(wait_for, lambda: all(r.cancelled for r in panel_requests(hanging_panel)))
    assert not any(r.completed for r in panel_requests(hanging_panel))


def test_a_client_leaving_a_stream_before_the_first_token_cancels_the_panel(proxy, hanging_panel):
    with httpx.stream("POST", f"{proxy}/chat/completions", json={**SEED, "stream": True}, timeout=10) as response:
        lines = response.iter_lines()
        assert next(line for line in lines if line) == ": keep-alive"
    assert wait_for(lambda: len(panel_requests(hanging_panel)) == 3 and all(r.cancelled for r in panel_requests(hanging_panel)))


def test_a_client_leaving_a_stream_after_the_first_token_cancels_the_writer(proxy, provider):
    def judge(req):
        if is_writer(req):
            return Reply(text="a long answer " * 50, chunk_size=4, chunk_delay=0.05)
        return judge_behaviour()(req)

    provider.add(JUDGE, judge)
    client = openai.OpenAI(base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    stream = client.chat.completions.create(model="openrouter/fusion", messages=SEED["messages"], stream=True)
    first = next(c for c in stream if c.choices and c.choices[0].delta.content)
    assert first.choices[0].delta.content
    stream.close()
    writer = lambda: [r for r in provider.requests_for(JUDGE) if is_writer(r)]  # noqa: E731
    assert wait_for(lambda: writer() and writer()[0].cancelled)


def test_a_client_leaving_a_pass_through_cancels_the_upstream_request(proxy, provider):
    provider.add(PLAIN, Reply(hang=True))
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{proxy}/chat/completions", json={"model": PLAIN, "messages": [{"role": "user", "content": "x"}]},
                   timeout=0.3)
    assert wait_for(lambda: provider.requests_for(PLAIN) and provider.requests_for(PLAIN)[0].cancelled)


# -- LangChain -----------------------------------------------------------------------------------

def test_langchain_chat_openai_pointed_at_the_proxy(proxy, provider):
    from langchain_openai import ChatOpenAI

    provider.add(PANEL[0], panelist("a slow answer", delay=0.25))  # keep-alives in the stream

    llm = ChatOpenAI(model="openrouter/fusion", base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    assert llm.invoke(QUESTION).content == "The fused answer."
    assert "".join(chunk.content for chunk in llm.stream(QUESTION)) == "The fused answer."
    plain = ChatOpenAI(model=PLAIN, base_url=proxy, api_key=CLIENT_KEY, max_retries=0)
    assert plain.invoke("hi").content == "a plain answer"
