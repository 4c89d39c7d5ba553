"""Bad Responses bodies: each gets a 4xx with the OpenAI error envelope naming the problem, never
a 5xx or a traceback, whether fusion refuses it or the provider (pass-through) does."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import test_proxy
from .test_proxy import root
from .test_proxy_bad_input import assert_envelope, json_values

# test_proxy's fixtures, used here by name (an assignment, not an import a parameter redefines)
provider, proxy = test_proxy.provider, test_proxy.proxy
proxy_config, shared = test_proxy.proxy_config, test_proxy.shared

SEED = {"model": "openrouter/fusion", "input": "Why is the sky blue, and why are sunsets red?"}
TOOL_SEED = {"model": "agent/m", "input": SEED["input"], "tools": [{"type": "openrouter:fusion"}]}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def post(http: httpx.Client, url: str, content: bytes) -> httpx.Response:
    return http.post(f"{url}/responses", content=content, headers={"content-type": "application/json"})


def body(seed: dict = SEED, **fields) -> bytes:
    return json.dumps({**seed, **fields}).encode()


CASES = [
    ("malformed JSON", b'{"model": "openrouter/fusion", "input": [', None, "invalid_json"),
    ("empty body", b"", None, "invalid_json"),
    ("not an object", b'["openrouter/fusion"]', None, "invalid_type"),
    ("input missing", json.dumps({"model": "openrouter/fusion"}).encode(), "input", None),
    ("input a number", body(input=3), "input", None),
    ("input empty", body(input=[]), "input", None),
    ("an item not an object", body(input=["hi"]), "input[0]", None),
    ("an unknown role", body(input=[{"role": "wizard", "content": "hi"}]), "input[0].role", None),
    ("content a number", body(input=[{"role": "user", "content": 7}]), "input[0].content", None),
    ("an unknown part", body(input=[{"role": "user", "content": [{"type": "input_audio"}]}]),
     "input[0].content[0].type", None),
    ("a function call without its id", body(input=[{"type": "function_call", "name": "f", "arguments": "{}"}]),
     "input[0].call_id", None),
    ("an output without its call id", body(input=[{"type": "function_call_output", "output": "x"}]),
     "input[0].call_id", None),
    ("stream not a boolean", body(stream="yes"), "stream", None),
    ("a hosted tool", body(tools=[{"type": "file_search"}]), "tools[0].type", None),
    ("a function tool without a name", body(tools=[{"type": "function", "parameters": {}}]), "tools[0].name", None),
    ("a nested function tool", body(tools=[{"type": "function", "name": "f", "function": {"name": "f"}}]),
     "tools[0].function", None),
    ("an unknown tool_choice", body(tool_choice="sometimes"), "tool_choice", None),
    ("json_schema without a schema", body(text={"format": {"type": "json_schema", "name": "x"}}),
     "text.format.schema", None),
    ("max_output_tokens zero", body(max_output_tokens=0), "max_output_tokens", None),
    ("metadata not strings", body(metadata={"a": 1}), "metadata.a", None),
    ("previous_response_id", body(previous_response_id="resp_1"), "previous_response_id", "unsupported_parameter"),
    ("an unknown field", body(frobnicate=True), "frobnicate", None),
    ("a bad fusion parameter", body(TOOL_SEED, tools=[{"type": "openrouter:fusion", "parameters": {"max_tool_calls": 0}}]),
     "tools[0].parameters.max_tool_calls", None),
    ("a panel of nine", body(plugins=[{"id": "fusion", "analysis_models": ["a"] * 9}]), "plugins[0].analysis_models", None),
    ("base_url", body(base_url="http://evil.example/v1"), "base_url", "field_not_allowed"),
    ("api_key", body({"model": "plain/m", "input": "x"}, api_key="sk-x"), "api_key", "field_not_allowed"),
]


@pytest.mark.parametrize(("raw", "param", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_a_400_naming_it(proxy, provider, http, raw, param, code):
    error = assert_envelope(post(http, proxy, raw), 400)
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param, error
        assert param in error["message"]
    if code is not None:
        assert error["code"] == code
    assert not provider.requests  # refused before any upstream call


def test_a_pass_through_body_the_provider_refuses_keeps_the_providers_4xx(proxy, provider, http):
    response = post(http, proxy, json.dumps({"model": "plain/m"}).encode())
    assert_envelope(response, 400)
    assert provider.requests == []  # the scripted provider refused it before recording it


# -- generated -------------------------------------------------------------------------------------

not_string = json_values.filter(lambda v: not isinstance(v, str))
not_input = json_values.filter(lambda v: not isinstance(v, (str, list)) or v == [])
part = st.fixed_dictionaries({"type": st.sampled_from(["input_text", "output_text", "input_image", "input_file",
                                                       "refusal", "wizard"])},
                             optional={"text": json_values, "image_url": json_values, "file_data": json_values})
item = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", "x"]),
                           "content": st.one_of(json_values, st.lists(part, max_size=2))},
                          optional={"type": st.sampled_from(["message", "reasoning", "item_reference"])}),
    st.fixed_dictionaries({"type": st.just("function_call")},
                          optional={"call_id": json_values, "name": json_values, "arguments": json_values}),
    st.fixed_dictionaries({"type": st.just("function_call_output")},
                          optional={"call_id": json_values, "output": json_values}),
    json_values,
)
fields = {
    "stream": json_values.filter(lambda v: v is not None and not isinstance(v, bool)),
    "instructions": not_string.filter(lambda v: v is not None),
    "tools": st.lists(st.fixed_dictionaries({}, optional={"type": json_values, "name": json_values,
                                                          "parameters": json_values}), min_size=1, max_size=2),
    "tool_choice": json_values.filter(lambda v: v not in ("auto", "none", "required", None)),
    "text": st.fixed_dictionaries({"format": json_values.filter(lambda v: v is not None)}),
    "max_output_tokens": st.integers(max_value=0) | st.text(max_size=3) | st.booleans() | st.just(2.5),
    "temperature": st.floats(min_value=2.01, max_value=1e6) | st.text(max_size=3),
    "metadata": st.dictionaries(st.text(max_size=3), not_string, min_size=1, max_size=2),
    "reasoning": st.fixed_dictionaries({"summary": st.sampled_from(["concise", "detailed", 3])}),
    "previous_response_id": st.text(min_size=1, max_size=8),
    "include": st.lists(st.sampled_from(["message.output_text.logprobs", "file_search_call.results", "x"]),
                        min_size=1, max_size=2),
}
fused_seed = st.sampled_from([SEED, TOOL_SEED, {**SEED, "plugins": [{"id": "fusion"}]}])

bad_bodies = st.one_of(
    st.binary(max_size=64).map(lambda b: b"\x00" + b),                                      # not JSON at all
    st.integers(1, len(json.dumps(SEED)) - 1).map(lambda n: json.dumps(SEED).encode()[:n]),  # truncated
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.builds(lambda s, v: {**s, "input": v}, fused_seed, not_input),
    st.builds(lambda s, items: {**s, "input": items}, fused_seed,
              st.lists(item, min_size=1, max_size=3).filter(lambda items: any(
                  not isinstance(i, dict) or i.get("role") in ("tool", "x") or i.get("type") in ("reasoning",
                                                                                               "item_reference")
                  or (i.get("type") in ("function_call", "function_call_output") and not isinstance(i.get("call_id"), str))
                  for i in items))),
    st.builds(lambda s, kv: {**s, kv[0]: kv[1]}, fused_seed,
              st.sampled_from(sorted(fields)).flatmap(lambda k: st.tuples(st.just(k), fields[k]))),
    st.builds(lambda s, k, v: {**s, k: v}, fused_seed, st.text(min_size=1, max_size=6).filter(
        lambda k: k not in ("model", "input", "plugins", "tools", "stream", "metadata", "user", "store", "text",
                            "instructions", "temperature", "top_p", "tool_choice", "parallel_tool_calls",
                            "max_output_tokens", "reasoning", "include", "truncation", "background",
                            "safety_identifier", "prompt_cache_key", "service_tier", "stream_options")),
              json_values.filter(lambda v: v is not None)),
    st.builds(lambda v: {"model": v, "input": "hi"}, not_string),                           # a pass-through the provider refuses
).map(lambda b: b if isinstance(b, bytes) else json.dumps(b).encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=bad_bodies)
def test_generated_bad_bodies_get_a_4xx_envelope_never_a_5xx(proxy, provider, http, raw):
    assert_envelope(post(http, proxy, raw))


def test_the_server_still_serves_after_the_bad_input(proxy, http):
    assert http.get(f"{root(proxy)}/healthz").json()["status"] == "ok"
    for url in (f"{proxy}/responses", f"{root(proxy)}/responses"):  # with and without /v1
        answer = http.post(url, json=SEED)
        assert answer.status_code == 200 and answer.json()["output"][-1]["content"][0]["text"] == "The fused answer."
    assert_envelope(http.get(f"{proxy}/responses"), 405)
