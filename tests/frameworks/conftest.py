"""The real agent frameworks, driven as their users drive them, against the scripted provider.

One scripted world for every framework (``world``):

- the panel (``PANEL``) answers; the judge model (``JUDGE``) writes the analysis, and in alias
  mode also writes the answer: it calls the caller's own tool ``lookup`` when it is offered and
  has not been answered yet, calls a structured-output tool (pydantic-ai's ``final_result``,
  LangChain's schema tool) when one is offered, follows ``response_format`` when it is set, and
  otherwise answers ``WRITER_ANSWER``;
- the calling model (``AGENT``) of tool mode calls ``fusion`` when it is offered and has no
  fusion result yet, then ``lookup`` when offered, then answers ``AGENT_ANSWER`` (or fills in
  the structured output the same way).

``assert_fused`` is what every test checks: the panel ran (each panelist asked once for the
turn) and the judge read it. The suite's network guard (``tests/conftest.py``) holds here too:
loopback only, so a framework that phones home fails its test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall
from tests.conftest import ANALYSIS, JUDGE, PANEL

AGENT = "agent/m"
PLAIN = "plain/m"  # a model fusion has nothing to do with: pass-through
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
LOOKUP_RESULT = "The company has 40 people, 12 of them engineers."
WRITER_ANSWER = "The fused answer: hybrid, with two fixed office days."
AGENT_ANSWER = "The agent's answer, built on the panel."
PLAIN_ANSWER = "A plain answer."
VERDICT = {"answer": "hybrid", "confidence": 0.7}
FUSION_PLUGIN = {"id": "fusion"}


def need(module: str) -> Any:
    """Import a framework from the ``[frameworks]`` extra: skipped where it is not installed, but
    a failure in CI (``CI`` set), which installs the extra, so the suite cannot vanish there."""
    if os.environ.get("CI"):
        return __import__(module, fromlist=["_"])
    return pytest.importorskip(module, reason="the [frameworks] extra is not installed")


# -- the scripted world -------------------------------------------------------------------------

def _tool_results(req: ScriptedRequest) -> list[str]:
    return [str(m.get("content")) for m in req.messages if m.get("role") == "tool"]


def _looked_up(req: ScriptedRequest) -> bool:
    return any(LOOKUP_RESULT in content for content in _tool_results(req))


def _fusion_result(req: ScriptedRequest) -> bool:
    for content in _tool_results(req):
        try:
            result = json.loads(content)
        except ValueError:
            continue
        if isinstance(result, dict) and result.get("status") == "ok":
            return True
    return False


def _output_tool(req: ScriptedRequest) -> str | None:
    """The structured-output tool a framework offers (pydantic-ai's, LangChain's), if any."""
    for name in req.tool_names:
        if name in ("final_result", "Verdict"):
            return name
    return None


def _finish(req: ScriptedRequest, text: str) -> Reply:
    """The last step of a model's turn: the structured output it is asked for, or ``text``."""
    if (tool := _output_tool(req)) is not None:
        return Reply(tool_calls=[ToolCall(tool, VERDICT)])
    if req.response_format is not None and req.response_format.get("type") in ("json_schema", "json_object"):
        return Reply(json=VERDICT)
    return Reply(text=text)


def judge_and_writer(req: ScriptedRequest) -> Reply:
    if not _tool_results(req):  # the judge: no tool exchange yet, the analysis
        return Reply(json=ANALYSIS)
    if "lookup" in req.tool_names and not _looked_up(req):
        return Reply(tool_calls=[ToolCall("lookup", {"q": "company size"})])
    return _finish(req, WRITER_ANSWER)


def calling_model(req: ScriptedRequest) -> Reply:
    if "fusion" in req.tool_names and not _fusion_result(req):
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])
    if "lookup" in req.tool_names and not _looked_up(req):
        return Reply(tool_calls=[ToolCall("lookup", {"q": "company size"})])
    return _finish(req, AGENT_ANSWER)


@pytest.fixture
def world(provider: ScriptedProvider) -> ScriptedProvider:
    """``tests.conftest.provider`` with the judge that also writes, the calling model and a
    plain model."""
    provider.add(JUDGE, judge_and_writer)
    provider.add(AGENT, calling_model)
    provider.add(PLAIN, PLAIN_ANSWER)
    return provider


@pytest.fixture
def proxy_url(world: ScriptedProvider, config: Any) -> Iterator[str]:
    """``fusion-tool serve``'s app on 127.0.0.1, in front of the scripted provider on 127.0.0.1."""
    with world.serve() as upstream, running(create_app(config.replace(base_url=upstream, api_key="k"))) as url:
        yield url


def panel_requests(provider: ScriptedProvider) -> list[ScriptedRequest]:
    return [r for r in provider.requests if r.model in PANEL]


def assert_fused(provider: ScriptedProvider, turns: int = 1) -> None:
    """Fusion ran ``turns`` times: each panelist was asked once per turn, and the judge read the
    panel's answers (a request of the judge without tool messages: the analysis)."""
    assert sorted(r.model for r in panel_requests(provider)) == sorted(PANEL * turns)
    analyses = [r for r in provider.requests_for(JUDGE) if not _tool_results(r)]
    assert len(analyses) == turns


def first_request_of(provider: ScriptedProvider, model: str) -> ScriptedRequest:
    return provider.requests_for(model)[0]
