"""The raw-loop and LangChain examples run, and LangChain's tool runs the real pipeline."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

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
