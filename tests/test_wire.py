"""The lean inner call (provider/wire.py): after the SDK's first request, inner calls are re-sent
with its URL and headers through the user's own HTTP client; what goes out must be what the
SDK would have sent, and what comes back must fail the way the SDK's path fails."""

from __future__ import annotations

import json

import httpx2
import openai
import pytest

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.core.errors import UpstreamError
from fusion_tool.provider import wire
from fusion_tool.provider.upstream import Upstream
from fusion_tool.testing import Reply, ScriptedProvider

from .conftest import JUDGE, PANEL

#: set per request by httpx or per call by the SDK (the read timeout it was given)
PER_REQUEST = {"content-length", "x-stainless-read-timeout"}
MESSAGES = [{"role": "user", "content": "Why is the sky blue, and why are sunsets red? Compare the physics."}]


def _user_client(base_url: str, seen: list[httpx2.Request]) -> openai.AsyncOpenAI:
    async def hook(request: httpx2.Request) -> None:
        seen.append(request)

    return openai.AsyncOpenAI(
        base_url=base_url, api_key="sk-user-key", organization="org-7", project="proj-9", max_retries=0,
        default_headers={"X-Team": "search"}, default_query={"tenant": "t1"},
        http_client=httpx2.AsyncClient(event_hooks={"request": [hook]}))


def _fixed(request: httpx2.Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k not in PER_REQUEST}


async def test_every_inner_call_goes_out_as_the_users_client_sends_it(provider: ScriptedProvider):
    seen: list[httpx2.Request] = []
    with provider.serve() as base_url:
        client = _user_client(base_url, seen)
        fused = wrap_openai(client, config=FusionConfig(panel=PANEL, judge=JUDGE, tools=(), max_retries=0))
        for _ in range(2):  # the second request's inner calls are all on the learnt path
            completion = await fused.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
            assert completion.fusion["status"] == "ok"
        await client.close()
    inner = [r for r in seen if r.url.path.endswith("/chat/completions")]
    assert len(inner) == 2 * (len(PANEL) + 2)  # each request: the panel, the judge, the writer
    first = inner[0]
    assert first.url.params["tenant"] == "t1"
    assert {"authorization": "Bearer sk-user-key", "openai-organization": "org-7", "openai-project": "proj-9",
            "x-team": "search", "content-type": "application/json"}.items() <= _fixed(first).items()
    for request in inner[1:]:
        assert str(request.url) == str(first.url)
        assert _fixed(request) == _fixed(first)
        assert request.headers["content-length"] == str(len(request.content))
    # every call's body is its own: the models asked for are the panel's, the judge's and the writer's
    assert sum(b'"judge/j"' in r.content for r in inner) == 4
    assert sum(any(f'"{m}"'.encode() in r.content for m in PANEL) for r in inner) == 2 * len(PANEL)


async def test_the_learnt_path_fails_and_retries_as_the_sdks_does(provider: ScriptedProvider):
    provider.add("ok", lambda req: Reply(text="fine"))
    provider.add("flaky", lambda req: Reply(status=503, error="busy") if req.attempt == 1 else Reply(text="back"))
    provider.add("refused", lambda req: Reply(status=400, error="no such parameter: sk-user-key"))
    provider.add("slow", lambda req: Reply(text="late", delay=2.0))
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    with provider.serve() as base_url:
        upstream = Upstream(_user_client(base_url, []), max_retries=2, sleep=no_sleep)
        ask = {"messages": [{"role": "user", "content": "q"}]}
        first, _ = await upstream.complete("panel", model="ok", **ask)
        assert upstream._wire is not None  # learnt from the SDK's request
        again, call = await upstream.complete("panel", model="flaky", **ask)
        assert again["choices"][0]["message"]["content"] == "back" and len(waits) == 1
        assert call.total_tokens > 0
        with pytest.raises(UpstreamError) as refused:
            await upstream.complete("panel", model="refused", **ask)
        assert refused.value.status_code == 400 and "no such parameter" in str(refused.value)
        assert "sk-user-key" not in str(refused.value)  # the client's key is scrubbed from the provider's text
        with pytest.raises(UpstreamError, match="timed out"):
            await upstream.complete("panel", model="slow", timeout=0.2, **ask)
        chunks = [c async for c in upstream.stream(model="ok", stream_options={"include_usage": True}, **ask)]
        text = "".join((c["choices"][0].get("delta") or {}).get("content") or "" for c in chunks if c.get("choices"))
        assert text == "fine" and chunks[-1]["usage"]["total_tokens"] > 0
        await upstream.client.close()
    assert first["choices"][0]["message"]["content"] == "fine"


def test_only_a_plain_client_takes_the_learnt_path():
    plain = openai.AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9/v1")

    async def key() -> str:
        return "k"

    assert wire.eligible(plain)
    assert not wire.eligible(openai.AsyncAzureOpenAI(api_key="k", azure_endpoint="http://127.0.0.1:9",
                                                     api_version="2024-10-21"))  # its own deployment paths
    assert not wire.eligible(openai.AsyncOpenAI(api_key=key, base_url="http://127.0.0.1:9/v1"))  # a key provider
    assert not wire.eligible(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1"))  # sync: the SDK's path


async def test_a_stream_event_that_is_no_json_object_is_skipped():
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "fine"}, "finish_reason": "stop"}]}
    body = "".join(f"data: {e}\n\n" for e in ("null", "42", json.dumps(chunk), '"text"', "[DONE]"))

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text=body, headers={"content-type": "text/event-stream"})

    for client in (openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0,
                                      http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler))),
                   openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="k", max_retries=0,
                                 http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))):
        upstream = Upstream(client, max_retries=0)
        chunks = [c async for c in upstream.stream(model="m", messages=[{"role": "user", "content": "q"}])]
        assert chunks == [chunk]
