"""Shared fixtures: a scripted provider with a panel, a judge and a writer."""

from __future__ import annotations

import ipaddress
import json
import socket

import pytest

from fusion_tool import FusionConfig
from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest

PANEL = ("panel/a", "panel/b", "panel/c")
JUDGE = "judge/j"

ANALYSIS = {
    "consensus": ["Water boils at 100 C at sea level"],
    "contradictions": [{"topic": "altitude", "stances": [
        {"model": "Response 1", "stance": "lower"}, {"model": "Response 2", "stance": "same"}]}],
    "partial_coverage": [{"models": ["Response 3"], "point": "pressure cookers"}],
    "unique_insights": [{"model": "Response 2", "insight": "impurities raise it slightly"}],
    "blind_spots": ["superheating"],
}


# -- no internet: pytest-socket (pyproject's addopts) lets a test connect to loopback only; this
# refuses the name lookups it does not see, so no test can reach a resolver either. A test that
# needs a name answered uses the seams (SafeFetcher's resolve=, the search providers' clients).

_REAL_GETADDRINFO = socket.getaddrinfo


def _loopback_name(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in (None, "", "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _loopback_name(host):
        raise socket.gaierror(socket.EAI_NONAME, f"tests: a name lookup of {host!r} (only loopback is allowed)")
    return _REAL_GETADDRINFO(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_name_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


def assert_valid_transcript(messages: list[dict]) -> None:
    """Every assistant tool call is answered before the next turn, each id once, and every tool
    message answers a call: what the OpenAI API demands of a request."""
    open_ids: set[str] = set()
    for m in messages:
        if m["role"] == "tool":
            assert m["tool_call_id"] in open_ids, m
            open_ids.discard(m["tool_call_id"])
        else:
            assert not open_ids, f"unanswered tool calls {open_ids} before {m['role']}"
            if m["role"] == "assistant":
                ids = [c["id"] for c in m.get("tool_calls") or []]
                assert len(ids) == len(set(ids)), ids
                open_ids = set(ids)
    assert not open_ids


def is_writer(req: ScriptedRequest) -> bool:
    return any(m.get("role") == "tool" for m in req.messages)


def judge_behaviour(analysis=ANALYSIS, answer="The fused answer.", delay=0.0):
    def behaviour(req: ScriptedRequest) -> Reply:
        if is_writer(req):
            return Reply(text=answer, delay=delay)
        return Reply(json=analysis, delay=delay)
    return behaviour


def panelist(text: str, delay: float = 0.0):
    return lambda req: Reply(text=text, delay=delay)


@pytest.fixture
def provider() -> ScriptedProvider:
    p = ScriptedProvider({
        PANEL[0]: panelist("Answer A: 100 C, lower at altitude."),
        PANEL[1]: panelist("Answer B: 100 C; impurities raise it."),
        PANEL[2]: panelist("Answer C: 100 C; pressure cookers go higher."),
        JUDGE: judge_behaviour(),
    })
    yield p
    p.close()


@pytest.fixture
def config() -> FusionConfig:
    # no web tools here: the research tools have their own tests
    return FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30)


def tool_result_sent_to_writer(provider: ScriptedProvider) -> dict:
    writer = [r for r in provider.requests_for(JUDGE) if is_writer(r)][-1]
    return json.loads(next(m for m in writer.messages if m.get("role") == "tool")["content"])
