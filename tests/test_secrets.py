"""A search for secrets: random keys and bearer tokens, of every shape a user may hold, sent by
a provider that echoes them in its error messages, never appear in anything fusion-tool puts
out: logs at every level (text and JSON), the fused result (``failed_models``, the trace), the
SDK's and the proxy's error envelopes (400 and 502), and the CLI's ``--json``.

Two kinds of secret: the configured key (scrubbed by its value, whatever its shape, once it is
at least ``MIN_SECRET_CHARS`` long) and a secret the provider mentions that nobody configured
(scrubbed by its look: ``Bearer …`` and key-shaped values)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import logging
import string

import httpx
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fusion_tool import FusionConfig, fuse, wrap_openai
from fusion_tool.core.log import configure
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall

from .conftest import ANALYSIS, JUDGE, PANEL, is_writer

ALNUM = string.ascii_letters + string.digits
KEY_CHARS = ALNUM + "_-"


def _mixed(value: str) -> bool:
    """Random enough never to occur in ordinary output by chance."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and len(set(value)) >= 4


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: what a configured key may look like: OpenAI/OpenRouter shapes, random base64, short ones
CONFIGURED_KEYS = st.one_of(
    st.text(KEY_CHARS, min_size=20, max_size=60).filter(_mixed).map(lambda t: "sk-" + t),
    st.text("0123456789abcdef", min_size=64, max_size=64).filter(_mixed).map(lambda t: "sk-or-v1-" + t),
    st.text(KEY_CHARS, min_size=30, max_size=60).filter(_mixed).map(lambda t: "sk-proj-" + t),
    st.binary(min_size=12, max_size=45).map(_b64).filter(_mixed),
    st.binary(min_size=12, max_size=45).map(_b64url).filter(_mixed),
    st.text(ALNUM, min_size=6, max_size=10).filter(_mixed),
)
#: what a provider may mention that is not our key: found by its look only
FOREIGN_SECRETS = st.one_of(
    st.text(KEY_CHARS, min_size=8, max_size=48).filter(_mixed).map(lambda t: "sk-" + t),
    st.text("0123456789abcdef", min_size=64, max_size=64).filter(_mixed).map(lambda t: "sk-or-v1-" + t),
    st.binary(min_size=8, max_size=45).map(_b64).filter(_mixed).map(lambda t: "Bearer " + t),
    st.text(ALNUM + "._-", min_size=6, max_size=40).filter(_mixed).map(lambda t: "Bearer " + t),
)
SEARCH = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

MESSAGES = [{"role": "user", "content": "At what temperature does water boil, and why does it vary?"}]
HARD = [{"role": "user", "content": (
    "Survey the evidence on whether remote work lowers productivity in software teams, where the studies "
    "disagree, and what a 40-person company should conclude for its hiring policy.")}]


def echoing(status: int, foreign: str):
    """A provider error that repeats what it was sent: the Authorization header, the bare key,
    and another secret it happens to know."""
    def behaviour(req: ScriptedRequest) -> Reply:
        auth = req.headers.get("authorization", "")
        key = auth.removeprefix("Bearer ")
        return Reply(status=status, error=f"invalid request; got Authorization: {auth} (key={key}); "
                                          f"the last caller sent {foreign}")
    return behaviour


def secret_parts(key: str, foreign: str) -> list[str]:
    """The strings that must not appear: the key, and the foreign secret's value (without "Bearer ")."""
    return [key, foreign.removeprefix("Bearer ")]


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where} leaks {secret!r}: …{text[max(0, text.find(secret) - 80):][:200]}…"


@contextlib.contextmanager
def captured_logs(json_logs: bool):
    stream = io.StringIO()
    configure(level="debug", json=json_logs, stream=stream)  # debug: every level's events
    try:
        yield stream
    finally:
        logging.getLogger("fusion_tool").handlers.clear()


def provider_with(foreign: str, *, panel_fails: int = 1, judge_fails: bool = False,
                  writer_fails: bool = False, caller_fails: bool = False) -> ScriptedProvider:
    provider = ScriptedProvider()
    for i, model in enumerate(PANEL):
        provider.add(model, echoing(401, foreign) if i < panel_fails else f"Answer {i}: 100 C at sea level.")

    def judge(req: ScriptedRequest) -> Reply:
        if is_writer(req):
            return echoing(500, foreign)(req) if writer_fails else Reply(text="The fused answer.")
        return echoing(400, foreign)(req) if judge_fails else Reply(json=ANALYSIS)

    provider.add(JUDGE, judge)

    def caller(req: ScriptedRequest) -> Reply:
        if caller_fails:
            return echoing(400, foreign)(req)
        if "fusion" in req.tool_names and not any(m["role"] == "tool" for m in req.messages):
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
        return Reply(text="The calling model's answer.")

    provider.add("agent/m", caller)
    return provider


def config_for(key: str, **overrides) -> FusionConfig:
    return FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30, max_retries=0,
                        api_key=key, **overrides)


# -- the library: the result, its trace, and the logs -----------------------------------------------


@SEARCH
@given(key=CONFIGURED_KEYS, foreign=FOREIGN_SECRETS, json_logs=st.booleans())
def test_no_secret_in_the_result_its_trace_or_any_log_line(key, foreign, json_logs):
    secrets = secret_parts(key, foreign)
    with provider_with(foreign, panel_fails=2, judge_fails=True) as provider, captured_logs(json_logs) as logs:
        result = asyncio.run(fuse("q", config=config_for(key), client=provider.async_openai(api_key=key)))
    assert result.status == "ok" and len(result.failed_models) == 2 and result.analysis is None
    assert "invalid request" in result.failed_models[0]["error"]  # the provider's message is still there
    assert_clean(json.dumps(result.to_dict()), secrets, "the fused result")
    assert_clean(json.dumps(result.tool_result()), secrets, "the tool result")
    assert "panelist_failed" in logs.getvalue()
    assert_clean(logs.getvalue(), secrets, "the logs")


@SEARCH
@given(key=CONFIGURED_KEYS, foreign=FOREIGN_SECRETS)
def test_no_secret_when_every_panelist_fails(key, foreign):
    with provider_with(foreign, panel_fails=3) as provider:
        result = asyncio.run(fuse("q", config=config_for(key), client=provider.async_openai(api_key=key)))
    assert result.status == "error" and result.failure_reason == "all_panels_failed"
    assert_clean(json.dumps(result.to_dict()), secret_parts(key, foreign), "the failed result")


LEVELS = ("debug", "info", "warning", "error", "critical")


@SEARCH
@given(foreign=FOREIGN_SECRETS, key=CONFIGURED_KEYS, json_logs=st.booleans(), level=st.sampled_from(LEVELS))
def test_no_secret_in_a_log_event_of_any_level(foreign, key, json_logs, level):
    """Whatever an event carries: a secret's look in any value (nested too), and any value under
    a secret's name, are redacted at every level, in text and JSON."""
    from fusion_tool.core.log import get_logger

    log = get_logger("fusion_tool.test")
    with captured_logs(json_logs) as logs:
        getattr(log, level)("provider_said", message=f"upstream answered: {foreign}", api_key=key,
                            headers={"Authorization": f"Bearer {key}", "X-Api-Key": key},
                            attempts=[{"error": f"saw {foreign}"}], token=key)
    text = logs.getvalue()
    assert "provider_said" in text and "upstream answered" in text
    assert_clean(text, secret_parts(key, foreign), f"a {level} log line")


# -- the SDK front: completions and the error envelopes ---------------------------------------------


async def _sdk_outputs(key: str, foreign: str) -> list[tuple[str, str]]:
    """Everything a wrapped client's user can read, on four paths: a panelist failed (the record's
    failed_models), every panelist failed (502), the writer failed (502), the caller failed (400)."""
    outputs = []
    with provider_with(foreign, panel_fails=1) as provider:
        client = wrap_openai(provider.async_openai(api_key=key), config=config_for(key))
        completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
        assert completion.fusion["failed_models"][0]["status_code"] == 401
        outputs.append(("a completion with a failed panelist", completion.model_dump_json()))
    cases = [("every panelist failed", {"panel_fails": 3}, {"model": "openrouter/fusion"}, 502),
             ("the writer failed", {"writer_fails": True}, {"model": "openrouter/fusion"}, 502),
             ("the caller failed", {"caller_fails": True},
              {"model": "agent/m", "tools": [{"type": "openrouter:fusion"}]}, 400)]
    for where, failing, kwargs, status in cases:
        with provider_with(foreign, **failing) as provider:
            client = wrap_openai(provider.async_openai(api_key=key), config=config_for(key))
            with pytest.raises(openai.APIStatusError) as raised:
                await client.chat.completions.create(messages=HARD, **kwargs)
            assert raised.value.status_code == status, (where, raised.value)
            outputs.append((where, f"{raised.value} {raised.value.response.text} {json.dumps(raised.value.body)}"))
    return outputs


@SEARCH
@given(key=CONFIGURED_KEYS, foreign=FOREIGN_SECRETS)
def test_no_secret_in_what_a_wrapped_client_reads(key, foreign):
    for where, text in asyncio.run(_sdk_outputs(key, foreign)):
        assert_clean(text, secret_parts(key, foreign), where)


# -- the proxy on loopback: its error envelopes and its JSON logs -----------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=CONFIGURED_KEYS, foreign=FOREIGN_SECRETS)
def test_no_secret_in_the_proxys_envelopes_or_logs(key, foreign):
    secrets = secret_parts(key, foreign)
    provider = provider_with(foreign, panel_fails=3, caller_fails=True)
    with provider, provider.serve() as upstream, captured_logs(json_logs=True) as logs, \
            running(create_app(config_for(key, base_url=upstream))) as url:
        fused = httpx.post(f"{url}/chat/completions", json={"model": "openrouter/fusion", "messages": HARD}, timeout=30)
        tool = httpx.post(f"{url}/chat/completions", timeout=30, json={
            "model": "agent/m", "messages": HARD, "tools": [{"type": "openrouter:fusion"}]})
        plain = httpx.post(f"{url}/chat/completions", json={"model": PANEL[0], "messages": HARD}, timeout=30)
    assert (fused.status_code, tool.status_code) == (502, 400)
    assert {r.headers["authorization"] for r in provider.requests} == {f"Bearer {key}"}  # the key went upstream
    for where, response in (("the 502 envelope", fused), ("the 400 envelope", tool)):
        assert "error" in response.json()
        assert_clean(response.text, secrets, where)
    assert plain.status_code == 401  # pass-through relays the provider's own answer, as the provider sent it
    assert_clean(logs.getvalue(), secrets, "the proxy's logs")


# -- the CLI's --json and its stderr, JSON logs on -------------------------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(key=CONFIGURED_KEYS, foreign=FOREIGN_SECRETS)
def test_no_secret_in_the_clis_json_or_stderr(key, foreign, capsys):
    from fusion_tool.cli.main import main

    provider = provider_with(foreign, panel_fails=1, judge_fails=True)
    env = {"FUSION_API_KEY": key, "FUSION_LOG": "json", "FUSION_LOG_LEVEL": "debug"}
    with provider, provider.serve() as upstream, pytest.MonkeyPatch.context() as mp:
        for name in ("OPENROUTER_API_KEY", "FUSION_PANEL", "FUSION_JUDGE"):
            mp.delenv(name, raising=False)
        for name, value in {**env, "FUSION_BASE_URL": upstream}.items():
            mp.setenv(name, value)
        capsys.readouterr()
        try:
            code = main(["ask", "--json", "--no-web", "--panel", ",".join(PANEL), "--judge", JUDGE, "Why?"])
        finally:
            logging.getLogger("fusion_tool").handlers.clear()
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["failed_models"][0]["status_code"] == 401
    assert_clean(out, secret_parts(key, foreign), "ask --json")
    assert_clean(err, secret_parts(key, foreign), "ask's stderr")
