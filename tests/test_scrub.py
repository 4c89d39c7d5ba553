"""The one scrubber (issue #14, fix 2): a provider that echoes what it was sent (the
Authorization header, the key itself) never puts the key into anything a client reads:
``failed_models[].error``, traces, the 502 and 400 envelopes, SSE error events, MCP tool
results, the CLI's ``--json``, nor into the logs; through ``fuse()``, the SDK wrapper and the proxy.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import openai
import pytest

from fusion_tool import FusionConfig, fuse, wrap_openai
from fusion_tool.core import scrub as scrubbing
from fusion_tool.core.log import configure, get_logger
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import JUDGE, PANEL, is_writer, judge_behaviour

#: the configured key: of no known shape, so only the exact-value rule can find it
KEY = "upstream-credential-4f9a7c"
AGENT = "agent/m"
QUESTION = "Should a 40-person company move its billing to event sourcing, given audits and a tight budget?"
MESSAGES = [{"role": "user", "content": QUESTION}]


def echo(status: int):
    """A provider that says, in its error, exactly what it was sent."""
    def behaviour(req: ScriptedRequest) -> Reply:
        auth = req.headers.get("authorization", "")
        return Reply(status=status, error=f"rejected Authorization: {auth}; the key {auth.removeprefix('Bearer ')} "
                     "is not valid for this model")
    return behaviour


def echo_writer(status: int):
    """A judge that analyses, then fails as the writer, echoing the key."""
    return lambda req: echo(status)(req) if is_writer(req) else judge_behaviour()(req)


def assert_clean(text: str) -> None:
    assert KEY not in text, text
    assert scrubbing.REDACTED in text, text  # the message is there, without the key


# -- the rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "secrets", "expected"), [
    ("Authorization: Bearer abc.def-ghi", (), "Authorization: Bearer [redacted]"),
    ('{"authorization": "bearer xyz"}', (), '{"authorization": "bearer [redacted]"}'),
    ("key sk-or-v1-0123456789abcdef was refused", (), "key [redacted] was refused"),
    ("sk-ant-api03-abcdefghij and tvly-abcdefghij1", (), "[redacted] and [redacted]"),
    ("gsk_abcdefghijklmnop xai-abcdefghijkl hf_abcdefghijkl", (), "[redacted] [redacted] [redacted]"),
    ("google AIzaSyA-0123456789abcdefghijklmnopqrstu ok", (), "google [redacted] ok"),
    ("the key upstream-credential-4f9a7c is wrong", (KEY,), "the key [redacted] is wrong"),
    ("a short key abc stays", ("abc",), "a short key abc stays"),  # shorter than MIN_SECRET_CHARS
    ("sk-short is not a key; neither is a task-list", (), "sk-short is not a key; neither is a task-list"),
    ("nothing here", (None, ""), "nothing here"),
])
def test_the_rules(text, secrets, expected):
    assert scrubbing.scrub(text, secrets) == expected


def test_a_longer_secret_goes_before_one_it_holds():
    assert scrubbing.scrub("token abcdefgh-ijkl", ("abcdefgh", "abcdefgh-ijkl")) == "token [redacted]"


def test_values_scrub_through_mappings_and_sequences():
    value = {"api_key": "anything", "x-authorization": "x", "nested": [("Bearer t0k3n", KEY)], "n": 3}
    assert scrubbing.scrub_value(value, (KEY,)) == {
        "api_key": "[redacted]", "x-authorization": "[redacted]", "nested": [("Bearer [redacted]", "[redacted]")],
        "n": 3}


def test_the_logs_use_the_same_rules():
    stream = io.StringIO()
    configure(level="debug", json=True, stream=stream)
    try:
        get_logger("fusion_tool.test").info("event", error="Bearer t0k3n-abc", key="sk-0123456789ab", api_key="k")
    finally:
        logging.getLogger("fusion_tool").handlers.clear()
    line = json.loads(stream.getvalue())
    assert line["error"] == "Bearer [redacted]" and line["key"] == "[redacted]" and line["api_key"] == "[redacted]"


# -- fuse() ----------------------------------------------------------------------------------------

async def test_fuse_scrubs_failed_models_and_the_judges_error(provider, config):
    provider.add(PANEL[0], echo(500))
    provider.add(JUDGE, echo(400))
    result = await fuse(QUESTION, config=config.replace(max_retries=0, api_key=KEY),
                        client=provider.async_openai(api_key=KEY))
    assert result.status == "ok" and result.analysis is None
    failed = result.failed_models[0]
    assert failed["model"] == PANEL[0] and failed["status_code"] == 500 and "Bearer [redacted]" in failed["error"]
    assert_clean(failed["error"])
    assert_clean(result.trace["judge"]["error"])
    assert KEY not in json.dumps(result.to_dict())


async def test_fuse_scrubs_every_failure_when_no_panelist_answers(provider, config):
    for model in PANEL:
        provider.add(model, echo(503))
    result = await fuse(QUESTION, config=config.replace(max_retries=0), client=provider.async_openai(api_key=KEY))
    assert result.status == "error" and len(result.failed_models) == 3
    for failure in result.failed_models:
        assert_clean(failure["error"])


# -- the SDK wrapper (in process) --------------------------------------------------------------------

def test_the_sdk_wrapper_scrubs_the_record_and_the_errors(provider, config):
    client = wrap_openai(provider.openai(api_key=KEY), config=config.replace(max_retries=0))
    provider.add(PANEL[1], echo(500))
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert_clean(json.dumps(completion.fusion["failed_models"]))

    provider.add(JUDGE, echo_writer(500))
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert caught.value.status_code == 502
    assert_clean(json.dumps(caught.value.body))

    provider.add(AGENT, echo(400))
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=AGENT, messages=MESSAGES, tools=[{"type": "openrouter:fusion"}])
    assert_clean(json.dumps(refused.value.body))


# -- the proxy -------------------------------------------------------------------------------------

@pytest.fixture
def proxy(provider, config):
    with provider.serve() as upstream:
        server = config.replace(base_url=upstream, api_key=KEY, max_retries=0)
        with running(create_app(server, keepalive_seconds=0.05)) as url:
            yield url


def post(url: str, body: dict) -> httpx.Response:
    return httpx.post(f"{url}/chat/completions", json=body, timeout=15)


def test_the_proxy_scrubs_failed_models(proxy, provider):
    provider.add(PANEL[2], echo(500))
    response = post(proxy, {"model": "openrouter/fusion", "messages": MESSAGES})
    assert response.status_code == 200
    assert_clean(json.dumps(response.json()["fusion"]["failed_models"]))


def test_the_proxy_scrubs_the_502_envelope_of_a_judge_failure(proxy, provider):
    provider.add(JUDGE, echo(500))
    response = post(proxy, {"model": "openrouter/fusion", "messages": MESSAGES})
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_error"
    assert_clean(response.text)


def test_the_proxy_scrubs_the_400_envelope_of_a_callers_failure(proxy, provider):
    provider.add(AGENT, echo(400))
    response = post(proxy, {"model": AGENT, "messages": MESSAGES, "tools": [{"type": "openrouter:fusion"}]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "upstream_refused"
    assert_clean(response.text)


def test_the_proxy_scrubs_a_streams_error_event(proxy, provider):
    for model in PANEL:
        provider.add(model, Reply(text="an answer", delay=0.2))  # keep-alives go out: the error is an event
    provider.add(JUDGE, echo_writer(500))
    response = post(proxy, {"model": "openrouter/fusion", "messages": MESSAGES, "stream": True})
    assert response.status_code == 200 and '"error"' in response.text
    assert_clean(response.text)


def test_the_proxy_scrubs_tool_results_the_calling_model_reads(proxy, provider):
    def agent(req: ScriptedRequest) -> Reply:
        if any(m["role"] == "tool" for m in req.messages):
            return Reply(text="done")
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": QUESTION})])

    provider.add(AGENT, agent)
    provider.add(PANEL[0], echo(500))
    response = post(proxy, {"model": AGENT, "messages": MESSAGES, "tools": [{"type": "openrouter:fusion"}],
                            "tool_choice": {"type": "openrouter:fusion"}})
    assert response.status_code == 200
    tool_message = next(m for m in provider.requests_for(AGENT)[-1].messages if m["role"] == "tool")
    assert_clean(tool_message["content"])
    assert KEY not in response.text


def test_the_proxy_scrubs_a_pass_through_error(proxy, provider):
    provider.add("plain/m", echo(401))
    response = post(proxy, {"model": "plain/m", "messages": MESSAGES})
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/json")
    assert_clean(response.text)
    assert response.json()["error"]["message"].startswith("rejected Authorization: Bearer [redacted]")
    assert int(response.headers["content-length"]) == len(response.content)


# -- the other fronts ------------------------------------------------------------------------------

def test_the_clis_json_is_scrubbed(provider, capsys):
    from fusion_tool.cli.ask import ask

    provider.add(PANEL[0], echo(500))
    with provider.serve() as base_url:
        config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), base_url=base_url, api_key=KEY, max_retries=0)
        assert asyncio.run(ask(QUESTION, config, as_json=True)) == 0
    out = capsys.readouterr()
    record = json.loads(out.out)
    assert_clean(json.dumps(record["failed_models"]))
    assert KEY not in out.out + out.err


async def test_an_mcp_tool_result_is_scrubbed(provider, tmp_path):
    from .test_mcp import stdio_session, structured

    provider.add(PANEL[1], echo(401))  # not retried
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log", FUSION_API_KEY=KEY) as client:
            result = await client.call_tool("fusion", {"prompt": QUESTION, "web": False})
    payload = structured(result)
    assert_clean(json.dumps(payload["failed_models"]))
    assert KEY not in (tmp_path / "server.log").read_text()
