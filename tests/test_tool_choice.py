"""Tool mode reads ``tool_choice``: every shape of it is either honoured or a 400 naming it,
never a 500 (issue #14, fix 1), in process through the SDK seam and over the real proxy."""

from __future__ import annotations

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusion_tool import wrap_openai
from fusion_tool.proxy import create_app, running

from .conftest import PANEL
from .test_tool_mode import AGENT, FUSION, SHORT, agent

MESSAGES = [{"role": "user", "content": SHORT}]
PLUGIN = {"id": "fusion"}

#: the shapes the red team sent, each with the field the 400 must name
MALFORMED = [
    ({"type": "function", "function": "fusion"}, "tool_choice.function"),
    ({"type": "function", "function": 7}, "tool_choice.function"),
    ({"type": "function", "function": ["fusion"]}, "tool_choice.function"),
    ({"type": "openrouter:fusion", "function": "fusion"}, "tool_choice.function"),
    ({"type": "function", "function": {"name": 3}}, "tool_choice.function.name"),
    ({"type": "function"}, "tool_choice.function.name"),
    ({"type": ["function"], "function": {"name": "fusion"}}, "tool_choice.type"),
    ({}, "tool_choice.type"),
]


@pytest.fixture
def client(provider, config):
    provider.add(AGENT, agent())
    return wrap_openai(provider.openai(), config=config)


@pytest.mark.parametrize("entry", ["tools", "plugin"])
@pytest.mark.parametrize(("choice", "field"), MALFORMED, ids=[repr(c) for c, _ in MALFORMED])
def test_a_malformed_tool_choice_is_a_400_naming_it(client, provider, choice, field, entry):
    where = {"tools": [FUSION]} if entry == "tools" else {"extra_body": {"plugins": [PLUGIN]}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=AGENT, messages=MESSAGES, tool_choice=choice, **where)
    error = caught.value.body
    assert error["param"] == field and field in error["message"], error
    assert not provider.requests  # refused before any upstream call


@pytest.mark.parametrize("choice", [
    {"type": "openrouter:fusion"},
    {"type": "function", "function": {"name": "fusion"}},
    {"type": "openrouter:fusion", "function": {"name": "fusion"}},
])
def test_the_shapes_that_force_fusion_still_do(client, provider, choice):
    completion = client.chat.completions.create(model=AGENT, messages=MESSAGES, tools=[FUSION], tool_choice=choice)
    assert completion.choices[0].message.content == "Final answer using ok fusion."
    assert {r.model for r in provider.requests} >= set(PANEL)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=6))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)), max_leaves=6)
kinds = st.sampled_from(["function", "openrouter:fusion", "auto", "allowed_tools"]) | json_values
functions = st.fixed_dictionaries({}, optional={"name": st.sampled_from(["fusion", "get_weather"]) | json_values})
tool_choices = st.one_of(
    json_values,
    st.sampled_from(["none", "auto", "required", "fusion"]),
    st.fixed_dictionaries({}, optional={"type": kinds, "function": functions | json_values}),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=tool_choices, entry=st.sampled_from(["tools", "plugin"]))
def test_no_tool_choice_is_a_5xx(client, provider, choice, entry):
    provider.reset()
    where = {"tools": [FUSION]} if entry == "tools" else {"extra_body": {"plugins": [PLUGIN]}}
    try:
        client.chat.completions.create(model=AGENT, messages=MESSAGES, tool_choice=choice, **where)
    except openai.APIStatusError as exc:
        assert 400 <= exc.status_code < 500, (choice, exc.status_code, exc.body)
        assert "tool_choice" in (exc.body or {}).get("param", ""), exc.body


@pytest.fixture
def proxy(provider, config):
    provider.add(AGENT, agent())
    with provider.serve() as upstream:
        with running(create_app(config.replace(base_url=upstream))) as url:
            yield url


def test_over_the_proxy_a_malformed_tool_choice_is_a_400_naming_it(proxy, provider):
    for choice, field in MALFORMED:
        for entry in ({"tools": [FUSION]}, {"plugins": [PLUGIN]}):
            body = {"model": AGENT, "messages": MESSAGES, "tool_choice": choice, **entry}
            response = httpx.post(f"{proxy}/chat/completions", json=body, timeout=10)
            assert response.status_code == 400, (choice, response.text)
            assert response.json()["error"]["param"] == field
    for choice in (7, ["fusion"], True):  # not an object nor a string: the request's shape refuses it
        response = httpx.post(f"{proxy}/chat/completions", timeout=10,
                              json={"model": AGENT, "messages": MESSAGES, "tools": [FUSION], "tool_choice": choice})
        assert response.status_code == 400 and response.json()["error"]["param"] == "tool_choice", response.text
    assert not provider.requests
