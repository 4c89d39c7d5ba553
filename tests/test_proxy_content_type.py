"""The proxy takes JSON only, and its refusals stay short (issue #14, fix 8): a POST body with no
or another content type is a 415, before it is read; an error about a big value (a 1,000-entry
``analysis_models``) says what is wrong without repeating the value."""

from __future__ import annotations

import json

import httpx
import pytest

from fusion_tool import FusionConfig
from fusion_tool.core import schemas
from fusion_tool.core.errors import ConfigError

from . import test_proxy
from .test_proxy import SEED

# test_proxy's fixtures, used here by name (an assignment, not an import a parameter redefines)
provider, proxy = test_proxy.provider, test_proxy.proxy
proxy_config, shared = test_proxy.proxy_config, test_proxy.shared

ROUTES = ("chat/completions", "responses")
RESPONSES_SEED = {"model": "openrouter/fusion", "input": SEED["messages"][0]["content"]}


def body_for(route: str) -> bytes:
    return json.dumps(SEED if route == "chat/completions" else RESPONSES_SEED).encode()


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/jsonl", "application/json-patch+json", "text/json", "application/json; charset=latin-1",
])
def test_a_body_that_is_not_said_to_be_json_is_a_415(proxy, provider, route, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.post(f"{proxy}/{route}", content=body_for(route), headers=headers, timeout=10)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type" and error["type"] == "invalid_request_error"
    assert "application/json" in error["message"]
    assert not provider.requests


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          'Application/JSON; Charset="UTF-8"'])
def test_json_with_or_without_a_utf8_charset_is_served(proxy, route, content_type):
    response = httpx.post(f"{proxy}/{route}", content=body_for(route), headers={"content-type": content_type},
                          timeout=10)
    assert response.status_code == 200, response.text


def test_the_415_comes_before_the_body_is_read(proxy, provider):
    big = b" " * (8 * 2**20)  # past the size limit: a 413 if it were read first
    response = httpx.post(f"{proxy}/chat/completions", content=big, headers={"content-type": "text/plain"},
                          timeout=10)
    assert response.status_code == 415


# -- short errors ----------------------------------------------------------------------------------

def test_a_thousand_analysis_models_is_a_short_400_naming_the_field(proxy, provider):
    body = {**SEED, "plugins": [{"id": "fusion", "analysis_models": [f"vendor/model-{i}" for i in range(1000)]}]}
    response = httpx.post(f"{proxy}/chat/completions", json=body, timeout=10)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "plugins[0].analysis_models"
    assert "1000 items" in error["message"] and "at most 8" in error["message"]
    assert len(response.content) < 500 and "model-999" not in response.text
    assert not provider.requests


@pytest.mark.parametrize(("params", "field", "says"), [
    ({"analysis_models": ["m"] * 1000}, "analysis_models", "has 1000 items; at most 8"),
    ({"analysis_models": "x" * 5000}, "analysis_models", "(5002 characters) is not of type 'array'"),
    ({"model": "x" * 5000}, "model", "is 5000 characters long"),
    ({"preset": "q" * 3000}, "preset", "is not one of ['quality', 'budget', 'fast']"),
    ({"excluded_domains": ["a.com"] * 1000}, "excluded_domains", "has 1000 items"),
    ({"analysis_models": [{"a": "b" * 3000}]}, "analysis_models[0]", "(1 item) is not of type 'string'"),
    ({"k" * 3000: 1}, None, "unknown key"),  # the key named, cut to MAX_ECHO_CHARS
    ({"analysis_models": [7]}, "analysis_models[0]", "7 is not of type 'string'"),  # small values read as before
], ids=["many-models", "long-string", "long-model", "long-preset", "many-domains", "big-object", "long-key", "small"])
def test_no_config_error_repeats_a_big_value(params, field, says):
    with pytest.raises(ConfigError) as caught:
        FusionConfig().with_params(params, field_name="")
    assert caught.value.field == (field or "k" * schemas.MAX_ECHO_CHARS + "…")
    assert says in caught.value.message
    assert len(str(caught.value)) <= schemas.MAX_MESSAGE_CHARS


def test_an_mcp_argument_error_is_short_too():
    from fusion_tool.mcp.tool import read_arguments

    with pytest.raises(ConfigError) as caught:
        read_arguments({"prompt": "q", "analysis_models": ["m"] * 1000}, FusionConfig())
    assert caught.value.field == "analysis_models" and len(str(caught.value)) < 100
