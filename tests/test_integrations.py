"""The raw-loop and LangChain examples run, and LangChain's tool runs the real pipeline."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import openai
import pytest

from fusion_tool import FusionConfig
from fusion_tool.langchain import FusionTool

from .conftest import JUDGE, PANEL

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_raw_loop_example(monkeypatch):
    monkeypatch.delenv("FUSION_BASE_URL", raising=False)
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    answer = runpy.run_path(str(EXAMPLES / "raw_loop.py"))["main"]()
    assert answer.startswith("Trial a four-day week in Oslo") and "ok, 2 panel answers" in answer


def test_langchain_example():
    answer = runpy.run_path(str(EXAMPLES / "langchain_agent.py"))["main"]()
    assert answer.startswith("Guidelines now advise against")


def test_scripted_quickstart_example(capsys):
    runpy.run_path(str(EXAMPLES / "scripted_quickstart.py"), run_name="__main__")
    assert "Pick Go" in capsys.readouterr().out


async def test_langchain_tool_call_returns_the_tool_result_and_artifact(provider, config):
    tool = FusionTool(config=config, client=provider.async_openai())
    message = await tool.ainvoke({"type": "tool_call", "id": "call_1", "name": "fusion",
                                  "args": {"prompt": "Why do tides differ between coasts?"}})
    result = json.loads(message.content)
    assert message.tool_call_id == "call_1" and result["status"] == "ok"
    assert [r["model"] for r in result["responses"]] == list(PANEL)
    assert message.artifact.usage.total_tokens > 0
    assert {r.model for r in provider.requests} == {*PANEL, JUDGE}


def test_langchain_tool_schema_is_the_fusion_function(provider):
    from langchain_core.utils.function_calling import convert_to_openai_tool

    spec = convert_to_openai_tool(FusionTool(config=FusionConfig(), client=provider.openai()))
    assert spec["function"]["name"] == "fusion"
    assert list(spec["function"]["parameters"]["properties"]) == ["prompt"]


CALL = {"type": "tool_call", "id": "call_1", "name": "fusion", "args": {"prompt": "Why do tides differ between coasts?"}}


def _ok(message) -> bool:
    return json.loads(message.content)["status"] == "ok"


@pytest.mark.parametrize("client", ["from_config", "async_client", "sync_client"])
def test_fusion_tool_works_across_event_loops_and_threads(provider, config, client):
    """invoke, then ainvoke, then a second asyncio.run, then from another thread: every call
    answers (an async pool used on a loop it was not opened on fails every panelist)."""
    import asyncio
    import threading

    with provider.serve() as base_url:
        cfg = config.replace(base_url=base_url, api_key="k", max_retries=0)
        given = {"from_config": None, "async_client": openai.AsyncOpenAI(base_url=base_url, api_key="k"),
                 "sync_client": openai.OpenAI(base_url=base_url, api_key="k")}[client]
        tool = FusionTool(config=cfg, client=given)
        assert _ok(tool.invoke(CALL))
        assert _ok(asyncio.run(tool.ainvoke(CALL)))
        assert _ok(asyncio.run(tool.ainvoke(CALL)))  # a new loop: the last one is closed
        results = []
        thread = threading.Thread(target=lambda: results.append(_ok(tool.invoke(CALL))))
        thread.start()
        thread.join(30)
        assert results == [True]
