"""fusion-tool mcp, driven by the mcp SDK's own client: over stdio (the server a subprocess, as an
MCP host runs it) and once over streamable HTTP, against the scripted provider on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from jsonschema import Draft202012Validator
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from fusion_tool.core import schemas
from fusion_tool.core.errors import ConfigError
from fusion_tool.testing import Reply, ScriptedProvider

from .conftest import ANALYSIS, JUDGE, PANEL

ROOT = Path(__file__).resolve().parents[1]
SERVER_KEY = "sk-server-secret-0123456789"
QUESTION = "Should a small team adopt event sourcing for its billing system, given audit needs and a tight budget?"
HANGING = ("slow/a", "slow/b")
MISSING = ("missing/a", "missing/b")
FIELDS = {"prompt", "analysis_models", "model", "excluded_domains", "web"}


def server_env(base_url: str, **extra: str) -> dict[str, str]:
    return {"FUSION_BASE_URL": base_url, "FUSION_API_KEY": SERVER_KEY, "FUSION_PANEL": ",".join(PANEL),
            "FUSION_JUDGE": JUDGE, "PYTHONUNBUFFERED": "1", **extra}


@contextlib.asynccontextmanager
async def stdio_session(base_url: str, log: Path, *, mode: str = "auto", **env: str) -> AsyncIterator[Client]:
    """``fusion-tool mcp`` as a subprocess on stdio, and a connected client; its stderr goes to ``log``."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "fusion_tool.cli", "mcp"],
                                   env=server_env(base_url, **env), cwd=str(ROOT))
    with log.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
            yield client


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


class Progress:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((progress, total, message))

    @property
    def messages(self) -> list[str]:
        return [m or "" for _, _, m in self.seen]


def structured(result: Any) -> dict[str, Any]:
    """The structured content, after checking that the text says the same."""
    assert [c.type for c in result.content] == ["text"]
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def assert_analysis(analysis: dict[str, Any]) -> None:
    """The scripted judge's analysis, its "Response N" labels turned into the panel's models."""
    assert analysis["consensus"] == ANALYSIS["consensus"] and analysis["blind_spots"] == ANALYSIS["blind_spots"]
    named = [s["model"] for c in analysis["contradictions"] for s in c["stances"]]
    named += [m for p in analysis["partial_coverage"] for m in p["models"]]
    named += [u["model"] for u in analysis["unique_insights"]]
    assert len(named) == 4 and set(named) <= set(PANEL)


@pytest.fixture
def slow_provider(provider: ScriptedProvider) -> ScriptedProvider:
    for model in HANGING:
        provider.add(model, Reply(hang=True))
    return provider


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_it_lists_one_tool_fusion_with_the_specified_schemas(provider, tmp_path, mode):
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log", mode=mode) as client:
            tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == ["fusion"]
    tool = tools[0]
    schema = tool.input_schema
    assert schema["type"] == "object" and schema["required"] == ["prompt"] and not schema["additionalProperties"]
    assert set(schema["properties"]) == FIELDS
    props = schema["properties"]
    assert props["prompt"]["type"] == "string" and props["web"]["type"] == "boolean"
    assert props["model"]["type"] == "string"
    for name in ("analysis_models", "excluded_domains"):
        assert props[name]["type"] == "array" and props[name]["items"]["type"] == "string"
    assert (props["analysis_models"]["minItems"], props["analysis_models"]["maxItems"]) == (1, 8)
    description = tool.description or ""
    assert description.startswith(schemas.load("fusion_tool")["function"]["description"])
    assert "research" in description and "Do not call it for short or tactical requests" in description
    assert tool.output_schema["type"] == "object"
    Draft202012Validator.check_schema(tool.output_schema)
    assert "$ref" not in json.dumps(tool.output_schema).replace('"$ref": "#/', "")  # self-contained
    assert tool.annotations.read_only_hint is True and tool.annotations.open_world_hint is True


async def test_a_call_returns_the_tool_result_as_structured_content_and_as_text(provider, tmp_path):
    log = tmp_path / "server.log"
    with provider.serve() as base_url:
        # logs at info prove they stay off stdout (the protocol channel): the call still works
        async with stdio_session(base_url, log, FUSION_LOG_LEVEL="info") as client:
            result = await client.call_tool("fusion", {"prompt": QUESTION, "web": False})
            listed = (await client.list_tools()).tools[0]
    assert result.is_error is False
    payload = structured(result)
    assert payload["status"] == "ok" and payload["failed_models"] == []
    assert_analysis(payload["analysis"])
    assert [r["model"] for r in payload["responses"]] == list(PANEL)
    assert payload["responses"][0]["content"] == "Answer A: 100 C, lower at altitude."
    assert set(payload) == {"status", "analysis", "responses", "failed_models"}
    assert schemas.is_valid(payload, "tool_result")
    Draft202012Validator(listed.output_schema).validate(payload)
    panel_requests = [r for r in provider.requests if r.model in PANEL]
    assert len(panel_requests) == 3 and all(r.messages[-1]["content"] == QUESTION for r in panel_requests)
    assert all(r.headers["authorization"] == f"Bearer {SERVER_KEY}" for r in provider.requests)
    assert all(not r.tools for r in panel_requests)  # web: false
    assert "panelist_start" in log.read_text()  # the logs went to stderr
    assert SERVER_KEY not in log.read_text()


async def test_arguments_choose_the_panel_the_judge_and_the_web(provider, tmp_path):
    provider.add("judge/other", provider._behaviours[JUDGE])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log", FUSION_SEARCH=f"local:{corpus}") as client:
            result = await client.call_tool("fusion", {
                "prompt": QUESTION, "analysis_models": [PANEL[1], PANEL[1]], "model": "judge/other",
                "excluded_domains": ["example.com"]})
    payload = structured(result)
    assert [r["model"] for r in payload["responses"]] == [PANEL[1], PANEL[1]]  # self-fusion: two seats
    assert {r.model for r in provider.requests} == {PANEL[1], "judge/other"}
    panel_requests = provider.requests_for(PANEL[1])
    assert all({"web_search", "web_fetch"} <= {t["function"]["name"] for t in r.tools} for r in panel_requests)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_progress_follows_each_panelist_and_the_judge(provider, tmp_path, mode):
    progress = Progress()
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log", mode=mode) as client:
            result = await client.call_tool("fusion", {"prompt": QUESTION, "web": False}, progress_callback=progress)
    assert result.is_error is False
    steps = 2 * len(PANEL) + 2
    assert [p for p, _, _ in progress.seen] == [float(n) for n in range(1, steps + 1)]  # one per step, rising
    assert {t for _, t, _ in progress.seen} == {float(steps)}
    for i, model in enumerate(PANEL):
        started = progress.messages.index(f"{model}: started (panelist {i + 1} of {len(PANEL)})")
        done = next(n for n, m in enumerate(progress.messages) if m.startswith(f"{model}: done in "))
        assert started < done
    assert progress.messages[-2] == f"judge {JUDGE}: comparing the answers"
    assert progress.messages[-1].startswith(f"judge {JUDGE}: done in ")


async def test_a_panel_that_fails_entirely_is_a_tool_error_and_the_server_lives_on(provider, tmp_path):
    progress = Progress()
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log") as client:
            failed = await client.call_tool("fusion", {"prompt": QUESTION, "analysis_models": list(MISSING),
                                                       "web": False}, progress_callback=progress)
            again = await client.call_tool("fusion", {"prompt": QUESTION, "web": False})
    assert failed.is_error is True
    payload = structured(failed)
    assert payload["status"] == "error" and payload["failure_reason"] == "all_panels_failed"
    assert [(f["model"], f["status_code"]) for f in payload["failed_models"]] == [(m, 404) for m in MISSING]
    assert schemas.is_valid(payload, "tool_result")
    assert any(m.startswith(f"{MISSING[0]}: failed: ") for m in progress.messages)
    assert again.is_error is False and structured(again)["status"] == "ok"


async def test_cancelling_a_call_cancels_every_upstream_call(slow_provider, tmp_path):
    provider = slow_provider
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log") as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "fusion",
                              {"prompt": QUESTION, "analysis_models": list(HANGING), "web": False})
                await until(lambda: {r.model for r in provider.requests} == set(HANGING))
                tg.cancel_scope.cancel()  # the client sends notifications/cancelled
            for request in provider.requests:
                assert await request.await_finished(timeout=30)
                assert request.cancelled and not request.completed
            again = await client.call_tool("fusion", {"prompt": QUESTION, "web": False})
    assert again.is_error is False
    assert not any(r.model == JUDGE for r in provider.requests[:2])


BAD_ARGUMENTS = [
    ({}, "prompt: required"),
    ({"prompt": 42}, "prompt: 42 is not of type 'string'"),
    ({"prompt": "   "}, "prompt: must not be blank"),
    ({"prompt": QUESTION, "analysis_models": []}, "analysis_models: "),
    ({"prompt": QUESTION, "analysis_models": [f"m/{i}" for i in range(9)]}, "analysis_models: "),
    ({"prompt": QUESTION, "analysis_models": ["ok/model", 7]}, "analysis_models[1]: 7 is not of type 'string'"),
    ({"prompt": QUESTION, "model": ""}, "model: "),
    ({"prompt": QUESTION, "excluded_domains": "example.com"}, "excluded_domains: "),
    ({"prompt": QUESTION, "web": "no"}, "web: 'no' is not of type 'boolean'"),
    ({"prompt": QUESTION, "base_url": "http://elsewhere.example/v1"}, "base_url: unknown field"),
    ({"prompt": QUESTION, "api_key": "sk-caller"}, "api_key: unknown field"),
]


async def test_bad_arguments_are_a_tool_error_naming_the_field(provider, tmp_path):
    with provider.serve() as base_url:
        async with stdio_session(base_url, tmp_path / "server.log") as client:
            results = [await client.call_tool("fusion", arguments) for arguments, _ in BAD_ARGUMENTS]
            with pytest.raises(MCPError, match="Unknown tool"):
                await client.call_tool("fuse", {"prompt": QUESTION})
    for (arguments, expected), result in zip(BAD_ARGUMENTS, results, strict=True):
        assert result.is_error is True, arguments
        payload = structured(result)
        assert payload["failure_reason"] == "invalid_arguments"
        assert payload["error"].startswith(f"invalid arguments: {expected}"), (arguments, payload["error"])
    assert provider.requests == []  # nothing reached the provider


# -- streamable HTTP -----------------------------------------------------------------------


@contextlib.contextmanager
def http_server(base_url: str, log: Path, **env: str):
    """``fusion-tool mcp --http --port 0`` as a subprocess; yields its URL once it listens."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "OPENROUTER_"))}
    with log.open("w") as errlog:
        proc = subprocess.Popen([sys.executable, "-m", "fusion_tool.cli", "mcp", "--http", "--port", "0"],
                                env={**clean, **server_env(base_url, **env)}, cwd=ROOT,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog)
        try:
            deadline = time.monotonic() + 30
            while not (found := re.search(r"on (http://127\.0\.0\.1:\d+/mcp)", log.read_text())):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.02)
            yield found.group(1)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


async def test_streamable_http_with_a_token(provider, tmp_path):
    token = "mcp-test-token-abcdef"
    progress = Progress()
    with provider.serve() as base_url, http_server(base_url, tmp_path / "http.log", FUSION_PROXY_TOKEN=token) as url:
        async with httpx2.AsyncClient() as raw:
            refused = await raw.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                     headers={"accept": "application/json, text/event-stream"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_token"
        http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"},
                                  timeout=httpx2.Timeout(30, read=120))
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            tools = (await client.list_tools()).tools
            result = await client.call_tool("fusion", {"prompt": QUESTION, "web": False}, progress_callback=progress)
    assert [t.name for t in tools] == ["fusion"]
    payload = structured(result)
    assert result.is_error is False and payload["status"] == "ok"
    assert_analysis(payload["analysis"])
    assert len(progress.seen) == 2 * len(PANEL) + 2


def test_off_loopback_the_http_server_needs_a_token(monkeypatch):
    from fusion_tool.cli import mcp as command
    from fusion_tool.cli.main import _parser

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may listen")

    monkeypatch.setattr("fusion_tool.mcp.serve_http", never)
    monkeypatch.setattr("fusion_tool.core.serving.bind_tcp", never)
    monkeypatch.setenv("FUSION_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        args = _parser().parse_args(["mcp", "--http", "--host", host])
        with pytest.raises(ConfigError) as refused:
            command.run(args, "no provider")
        assert refused.value.field == "FUSION_PROXY_TOKEN"
    with pytest.raises(ConfigError, match="--host: applies with --http only"):
        command.run(_parser().parse_args(["mcp", "--host", "127.0.0.1"]), "no provider")


def test_without_a_provider_it_says_how_to_set_one():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "OPENROUTER_"))}
    out = subprocess.run([sys.executable, "-m", "fusion_tool.cli", "mcp"], capture_output=True, text=True,
                         env=clean, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and out.stdout == ""
    assert "FUSION_API_KEY" in out.stderr and "Traceback" not in out.stderr


def test_the_parser_does_not_import_the_mcp_sdk():
    code = ("import sys; from fusion_tool.cli.main import _parser; _parser().parse_args(['mcp', '--http']); "
            "print('mcp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
