"""Bad input to the proxy: each gets a 4xx with the OpenAI error envelope naming the problem,
never a 500 or a traceback, and the server keeps serving."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import test_proxy
from .conftest import PANEL
from .test_proxy import SEED, root

# test_proxy's fixtures, used here by name (an assignment, not an import a parameter redefines)
provider, proxy = test_proxy.provider, test_proxy.proxy
proxy_config, shared = test_proxy.proxy_config, test_proxy.shared

USER = {"role": "user", "content": "Why is the sky blue, and why are sunsets red?"}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def post(http: httpx.Client, url: str, content: bytes, **headers: str) -> httpx.Response:
    return http.post(f"{url}/chat/completions", content=content, headers={"content-type": "application/json", **headers})


def assert_envelope(response: httpx.Response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str)
    assert {"message", "type", "code", "param"} <= set(error)
    return error


def body(**fields) -> bytes:
    return json.dumps({**SEED, **fields}).encode()


# -- each kind of problem, named -------------------------------------------------------------------

CASES = [
    ("malformed JSON", b'{"model": "openrouter/fusion", "messages": [', None, "invalid_json"),
    ("empty body", b"", None, "invalid_json"),
    ("NaN", b'{"model": "m", "messages": [], "temperature": NaN}', None, "invalid_json"),
    ("a huge number", b'{"model": "m", "messages": [], "temperature": 1e999}', None, "invalid_json"),
    ("invalid UTF-8", b'{"model": "\xff\xfe"}', None, "invalid_json"),
    ("a lone surrogate", b'{"model": "openrouter/fusion", "messages": [{"role": "user", "content": "\\ud800"}]}',
     None, "invalid_json"),
    ("not an object", b"[1, 2, 3]", None, "invalid_type"),
    ("model missing", json.dumps({"messages": [USER]}).encode(), "model", None),
    ("model not a string", body(model=42), "model", None),
    ("messages missing", json.dumps({"model": "openrouter/fusion"}).encode(), "messages", None),
    ("messages not a list", body(messages="hello"), "messages", None),
    ("messages empty", body(messages=[]), "messages", None),
    ("a message not an object", body(messages=["hello"]), "messages[0]", None),
    ("an unknown role", body(messages=[{"role": "wizard", "content": "hi"}]), "messages[0].role", None),
    ("content of a wrong type", body(messages=[{"role": "user", "content": 7}]), "messages[0].content", None),
    ("a content part of a wrong type", body(messages=[{"role": "user", "content": [3]}]), "messages[0].content[0]", None),
    ("a user message without content", body(messages=[{"role": "user"}]), "messages[0].content", None),
    ("a tool message without its call id", body(messages=[USER, {"role": "tool", "content": "x"}]),
     "messages[1].tool_call_id", None),
    ("stream not a boolean", body(stream="yes"), "stream", None),
    ("tools not a list", body(tools={"type": "openrouter:fusion"}), "tools", None),
    ("n > 1 in alias mode", body(n=3), "n", None),
    ("n > 1 in tool mode", body(model="agent/m", tools=[{"type": "openrouter:fusion"}], n=2), "n", None),
    ("an empty panel", body(plugins=[{"id": "fusion", "analysis_models": []}]), "plugins[0].analysis_models", None),
    ("a panel of nine", body(plugins=[{"id": "fusion", "analysis_models": ["a"] * 9}]), "plugins[0].analysis_models", None),
    ("plugins not a list", body(plugins={"id": "fusion"}), "plugins", None),
    ("a bad tool parameter", body(model="agent/m", tools=[{"type": "openrouter:fusion", "parameters": {"max_tool_calls": 0}}]),
     "tools[0].parameters.max_tool_calls", None),
    ("an unknown tool parameter", body(model="agent/m", tools=[{"type": "openrouter:fusion", "parameters": {"bogus": 1}}]),
     "tools[0].parameters.bogus", None),
    ("base_url", body(base_url="http://evil.example/v1"), "base_url", "field_not_allowed"),
    ("api_base", body(api_base="http://evil.example/v1"), "api_base", "field_not_allowed"),
    ("api_key", body(api_key="sk-someone-elses"), "api_key", "field_not_allowed"),
    ("extra_headers", body(extra_headers={"authorization": "Bearer x"}), "extra_headers", "field_not_allowed"),
]


@pytest.mark.parametrize(("raw", "param", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_is_a_400_naming_it(proxy, provider, http, raw, param, code):
    error = assert_envelope(post(http, proxy, raw), 400)
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param
        assert param in error["message"]
    if code is not None:
        assert error["code"] == code
    assert not provider.requests  # refused before any upstream call


def test_a_body_over_the_limit_is_413_announced_or_chunked(proxy, http):
    big = body(messages=[{"role": "user", "content": "x" * (4 * 2**20)}])
    assert assert_envelope(post(http, proxy, big), 413)["code"] == "request_too_large"

    def chunks():
        for _ in range(5):
            yield b" " * 2**20
    chunked = http.post(f"{proxy}/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    assert_envelope(chunked, 413)
    assert http.get(f"{root(proxy)}/healthz").status_code == 200


def test_unknown_routes_and_methods_get_envelopes(proxy, http):
    assert assert_envelope(http.get(f"{proxy}/nothing-here"), 404)["code"] == "unknown_route"
    assert assert_envelope(http.get(f"{proxy}/chat/completions"), 405)["code"] == "method_not_allowed"


# -- generated -------------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=8)
not_string = json_values.filter(lambda v: not isinstance(v, str))
not_list = json_values.filter(lambda v: not isinstance(v, list))
not_object = json_values.filter(lambda v: not isinstance(v, dict))
not_content = json_values.filter(lambda v: not isinstance(v, (str, list)))
roles = st.text(min_size=1, max_size=10).filter(
    lambda r: r not in {"system", "developer", "user", "assistant", "tool", "function"})


def seed_with(**fields):
    return {**SEED, **fields}


bad_bodies = st.one_of(
    st.binary(max_size=64).map(lambda b: b"\x00" + b),                                  # not JSON at all
    st.integers(1, len(json.dumps(SEED)) - 1).map(lambda n: json.dumps(SEED).encode()[:n]),  # truncated
    not_object.map(lambda v: json.dumps(v).encode()),                                    # JSON, not an object
    st.builds(lambda v: seed_with(model=v), not_string),
    st.builds(lambda v: seed_with(messages=v), not_list),
    st.builds(lambda v: seed_with(messages=[v]), not_object),
    st.builds(lambda r: seed_with(messages=[{"role": r, "content": "hi"}]), roles),
    st.builds(lambda c: seed_with(messages=[{"role": "user", "content": c}]), not_content),
    st.builds(lambda v: seed_with(stream=v), json_values.filter(lambda v: v is not None and not isinstance(v, bool))),
    st.builds(lambda n: seed_with(n=n), st.integers(min_value=2) | st.integers(max_value=0)),
    st.builds(lambda m: seed_with(plugins=[{"id": "fusion", "analysis_models": m}]),
              st.lists(st.text(min_size=1, max_size=5), min_size=9, max_size=12) | st.just([]) | not_list),
    st.builds(lambda k: seed_with(tools=[{"type": "openrouter:fusion", "parameters": {"max_tool_calls": k}}]),
              st.integers(max_value=0) | st.integers(min_value=17)),
    st.builds(lambda f, v: seed_with(**{f: v}), st.sampled_from(["base_url", "api_base", "api_key"]), json_values),
).map(lambda b: b if isinstance(b, bytes) else json.dumps(b).encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=bad_bodies)
def test_generated_bad_bodies_get_a_4xx_envelope_never_a_500(proxy, provider, http, raw):
    assert_envelope(post(http, proxy, raw))


def test_the_server_still_serves_after_the_bad_input(proxy, http):
    assert http.get(f"{root(proxy)}/healthz").json()["status"] == "ok"
    answer = http.post(f"{proxy}/chat/completions", json=SEED)
    assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == "The fused answer."
    assert set(PANEL) <= {m["id"] for m in http.get(f"{proxy}/models").json()["data"]}


# -- the fast shape check agrees with jsonschema ---------------------------------------------------

def _near_valid_message():
    """Mostly valid messages, each field sometimes of a wrong type."""
    role = st.sampled_from(["system", "developer", "user", "assistant", "assistant", "tool", "function", "wizard"])
    text = st.text(max_size=3)
    part = st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"])}, optional={"text": text | st.integers()})
    content = st.one_of(text, text, st.lists(part | text, max_size=2), st.none(), st.integers(), st.booleans())
    call = st.fixed_dictionaries(
        {"id": text, "function": st.fixed_dictionaries({"name": text}, optional={"arguments": text | st.integers()})},
        optional={"type": text})
    message = st.fixed_dictionaries(
        {"role": role, "content": content},
        optional={"name": text | st.integers(), "tool_call_id": text | st.none(),
                  "tool_calls": st.none() | st.lists(call | st.just({"id": "x"}), max_size=2)})
    return message | st.fixed_dictionaries({"role": role}) | json_values


near_valid_bodies = st.fixed_dictionaries(
    {"model": st.text(min_size=1, max_size=5), "messages": st.lists(_near_valid_message(), min_size=1, max_size=3)},
    optional={
        "stream": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
        "n": st.one_of(st.integers(-1, 3), st.sampled_from([1.0, 2.0, 0.5]), st.booleans(), st.none()),
        "max_tokens": st.one_of(st.integers(-1, 3), st.sampled_from([1.0, 2.5, 0.0])),
        "temperature": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text(max_size=2)),
        "stop": st.one_of(st.text(max_size=3), st.lists(st.text(max_size=2) | st.integers(), max_size=2), st.none()),
        "stream_options": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"include_usage": json_scalars}), json_scalars),
        "tools": st.one_of(st.none(), st.lists(st.fixed_dictionaries({}, optional={"type": json_scalars}), max_size=2)),
        "user": json_scalars,
    },
) | st.fixed_dictionaries({}, optional={"model": json_scalars, "messages": json_values})


@settings(max_examples=400, deadline=None)
@given(candidate=near_valid_bodies)
def test_the_fast_shape_check_agrees_with_jsonschema(candidate):
    from fusion_tool.proxy import validate

    assert validate._is_valid()(candidate) == validate._validator().is_valid(candidate)


def test_the_fast_subset_refuses_keywords_it_does_not_know():
    from fusion_tool.core.fastschema import compile_schema

    with pytest.raises(ValueError, match="oneOf"):
        compile_schema({"oneOf": [{"type": "string"}]})
    with pytest.raises(ValueError, match="recursive"):
        compile_schema({"$ref": "#/$defs/a", "$defs": {"a": {"items": {"$ref": "#/$defs/a"}}}})
