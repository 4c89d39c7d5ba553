"""Provider quirks, offline: the dialect rules, and (once ``upstream.py`` reads dialects) the
provider layer against an in-process stand-in that answers as llama-cpp-python's server does.

Not marked ``integration``: no server, no model, a fraction of a second.
"""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

try:  # where it lives once moved next to upstream.py
    from fusion_tool.provider import dialect as dialects
except ImportError:
    from fusion_tool.local import dialect as dialects
from fusion_tool.provider.upstream import Upstream

Dialect = dialects.Dialect

DEVELOPER_500 = ("7 validation errors:\n  {'type': 'literal_error', 'loc': ('body', 'messages', 0, "
                 "'ChatCompletionRequestSystemMessage', 'role'), 'msg': \"Input should be 'system'\", "
                 "'input': 'developer', 'ctx': {'expected': \"'system'\"}}")
PARTS_500 = 'can only concatenate str (not "list") to str'
JSON_SCHEMA_500 = ("1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                   "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}")


def status_error(status: int, message: str) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(status, json={"message": message}, request=request)
    return openai.APIStatusError(message, response=response, body={"message": message})


def test_a_fresh_dialect_sends_what_it_was_given():
    params = {"model": "m", "messages": [{"role": "developer", "content": [{"type": "text", "text": "x"}]}],
              "max_completion_tokens": 10}
    assert Dialect().adapt(params) == params


def test_max_tokens_replaces_max_completion_tokens_unless_both_were_given():
    dialect = Dialect(token_limit="max_tokens")
    assert dialect.adapt({"model": "m", "max_completion_tokens": 10}) == {"model": "m", "max_tokens": 10}
    assert dialect.adapt({"max_completion_tokens": 10, "max_tokens": 5}) == {"max_tokens": 5}


def test_developer_roles_and_text_parts_are_rewritten_once_learnt():
    dialect = Dialect(developer_as_system=True, flat_content=True)
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "input_text", "text": "b"}]},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]},
    ]
    out = dialect.adapt({"messages": messages})["messages"]
    assert out[0] == {"role": "system", "content": "Be brief."}
    assert out[1] == {"role": "user", "content": "a\nb"}
    assert out[2] == messages[2]  # not text only: left for the provider to refuse
    assert messages[0]["role"] == "developer"  # the caller's messages are not touched


def test_refusals_teach_each_quirk_once():
    dialect = Dialect()
    developer = {"messages": [{"role": "developer", "content": "x"}]}
    assert dialect.learn_from_error(status_error(500, DEVELOPER_500), developer) is True
    assert dialect.developer_as_system
    assert dialect.learn_from_error(status_error(500, DEVELOPER_500), developer) is False  # known already
    parts = {"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}
    assert dialect.learn_from_error(status_error(500, PARTS_500), parts) is True and dialect.flat_content


def test_other_refusals_teach_nothing():
    dialect = Dialect()
    plain = {"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_schema"}}
    assert dialect.learn_from_error(status_error(500, JSON_SCHEMA_500), plain) is False  # the judge's to handle
    assert dialect.learn_from_error(status_error(429, PARTS_500), plain) is False
    assert dialect.learn_from_error(status_error(500, DEVELOPER_500), plain) is False  # no developer message sent
    assert dialect == Dialect()


def test_a_refused_max_completion_tokens_switches_to_max_tokens():
    dialect = Dialect()
    refusal = status_error(400, "Unrecognized request argument supplied: max_completion_tokens")
    assert dialect.learn_from_error(refusal, {"max_completion_tokens": 5}) is True
    assert dialect.token_limit == "max_tokens"


def completion(tokens: int) -> dict:
    return {
        "id": "c", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": tokens, "total_tokens": tokens + 1},
    }


def test_an_ignored_cap_is_noticed():
    dialect = Dialect()
    dialect.learn_from_completion({"max_completion_tokens": 30}, completion(30))
    assert dialect.token_limit == "max_completion_tokens"
    dialect.learn_from_completion({"max_completion_tokens": 30}, completion(228))
    assert dialect.token_limit == "max_tokens"


def test_declarations_are_copied_into_each_new_dialect():
    url = "http://127.0.0.1:1/v1"
    dialects.declare(url + "/", token_limit="max_tokens")
    try:
        first, second = dialects.dialect_for(url), dialects.dialect_for(url)
        assert first.token_limit == "max_tokens" and first is not second
        first.flat_content = True  # learnt by one owner: not by the others
        assert not dialects.dialect_for(url).flat_content
        with pytest.raises(TypeError):
            dialects.declare(url, no_such_quirk=True)
    finally:
        dialects.forget(url)
    assert dialects.dialect_for(url) == Dialect()


def chunk(delta: dict) -> dict:
    return {
        "id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def llama_tool_deltas(name: str, pieces: list[str]) -> list[dict]:
    """Tool-call deltas as llama-cpp-python streams them: the name and id in every one."""
    return [chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                   "function": {"name": name, "arguments": piece}}]}) for piece in pieces]


def gathered(chunks: list[dict]) -> tuple[str, str]:
    name = arguments = ""
    for c in chunks:
        for d in c["choices"][0]["delta"].get("tool_calls") or []:
            name += d["function"].get("name") or ""
            arguments += d["function"].get("arguments") or ""
    return name, arguments


def test_repeated_tool_call_names_are_dropped_from_later_deltas():
    repair = dialects.ToolCallDeltas()
    chunks = [repair(c) for c in llama_tool_deltas("fusion", ['{"prompt"', ': "x', '"}'])]
    assert gathered(chunks) == ("fusion", '{"prompt": "x"}')


def test_names_streamed_in_pieces_are_kept():
    repair = dialects.ToolCallDeltas()
    chunks = [repair(chunk({"tool_calls": [{"index": 0, "function": {"name": piece, "arguments": ""}}]}))
              for piece in ("fus", "ion")]
    assert gathered(chunks)[0] == "fusion"


# -- the provider layer, once upstream.py reads dialects --------------------------------------

wired = pytest.mark.skipif(
    not hasattr(Upstream(openai.AsyncOpenAI(base_url="http://127.0.0.1:1/v1", api_key="x")), "dialect"),
    reason="upstream.py does not read dialects yet (fusion_tool/local/UPSTREAM_PATCH.diff)",
)


class LlamaLike:
    """Answers chat completions as llama-cpp-python 0.3.36's server does, quirks and all."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if any(m.get("role") == "developer" for m in body["messages"]):
            return httpx.Response(500, json={"message": DEVELOPER_500})
        if any(isinstance(m.get("content"), list) for m in body["messages"]):
            return httpx.Response(500, json={"message": PARTS_500})
        written = body.get("max_tokens") or 200  # max_completion_tokens is ignored
        if body.get("stream"):
            events = [json.dumps(c) for c in llama_tool_deltas("fusion", ['{"prompt": ', '"x"}'])]
            text = "".join(f"data: {e}\n\n" for e in events) + "data: [DONE]\n\n"
            return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=completion(written))


def upstream_for(server: LlamaLike, url: str = "http://127.0.0.1:2/v1") -> tuple[Upstream, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = openai.AsyncOpenAI(base_url=url, api_key="x",
                                http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)))
    return Upstream(client, max_retries=2, sleep=sleep), slept


@wired
async def test_a_refused_shape_is_resent_at_once_adapted():
    server = LlamaLike()
    upstream, slept = upstream_for(server)
    started = time.monotonic()
    messages = [{"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    await upstream.complete("panel", model="m", messages=messages, max_completion_tokens=20)
    assert len(server.bodies) == 3 and slept == [] and time.monotonic() - started < 2
    assert server.bodies[-1]["messages"] == [{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "Hi"}]


@wired
async def test_an_ignored_cap_is_sent_as_max_tokens_from_then_on():
    server = LlamaLike()
    upstream, _ = upstream_for(server)
    first, _ = await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "x"}],
                                       max_completion_tokens=20)
    second, _ = await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "x"}],
                                        max_completion_tokens=20)
    assert first["usage"]["completion_tokens"] == 200 and second["usage"]["completion_tokens"] == 20
    assert "max_tokens" not in server.bodies[0] and server.bodies[1]["max_tokens"] == 20


@wired
async def test_a_declared_server_is_capped_from_the_first_call():
    url = "http://127.0.0.1:3/v1"
    dialects.declare(url, token_limit="max_tokens")
    try:
        server = LlamaLike()
        upstream, _ = upstream_for(server, url)
        result, _ = await upstream.complete("panel", model="m", messages=[{"role": "user", "content": "x"}],
                                            max_completion_tokens=20)
        assert result["usage"]["completion_tokens"] == 20
    finally:
        dialects.forget(url)


@wired
async def test_streamed_tool_calls_name_the_function_once():
    upstream, _ = upstream_for(LlamaLike())
    chunks = [c async for c in upstream.stream(model="m", messages=[{"role": "user", "content": "x"}])]
    assert gathered(chunks) == ("fusion", '{"prompt": "x"}')
