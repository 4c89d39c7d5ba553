"""Deadlines and stage timeouts (issue #14, fixes 3 and 4): a deadline ends the panel stage early
enough for the judge and the writer, and never throws away what answered; the judge and the
writer have timeouts of their own. Time bounds here are coarse: what the scripted provider
would take without the fix (a minute, or forever) against a few seconds with it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import openai
import pytest

from fusion_tool import FusionConfig, fuse, wrap_openai
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ScriptedRequest, ToolCall

from .conftest import ANALYSIS, JUDGE, PANEL, is_writer, panelist

CORPUS = Path(__file__).parent / "data" / "corpus"
QUESTION = "At what temperature does water boil, and why does it vary with altitude and pressure?"
MESSAGES = [{"role": "user", "content": QUESTION}]
HANG = Reply(hang=True)
#: far more than any run below may take with the fix; without it they take a minute or forever
SLOW = 60.0


def searches_then_hangs(req: ScriptedRequest) -> Reply:
    if not any(m["role"] == "tool" for m in req.messages):
        return Reply(tool_calls=[ToolCall("web_search", {"query": "boiling point altitude"})])
    return HANG


def judge_that_hangs_as(stage: str):
    """A judge (who also writes) that hangs at ``stage``: ``judge`` or ``writer``."""
    def behaviour(req: ScriptedRequest) -> Reply:
        if is_writer(req):
            return HANG if stage == "writer" else Reply(text="The fused answer.")
        return HANG if stage == "judge" else Reply(json=ANALYSIS)
    return behaviour


# -- fix 3: the library deadline keeps finished work -----------------------------------------------

def test_the_stage_ends_are_the_named_shares_of_the_deadline():
    from fusion_tool.core.config import DEADLINE_JUDGE_SHARE, DEADLINE_WRITER_SHARE
    from fusion_tool.pipeline.fuse import stage_ends

    panel_by, judge_by = stage_ends(100.0, 10.0)
    assert panel_by == pytest.approx(100 + 10 * (1 - DEADLINE_JUDGE_SHARE - DEADLINE_WRITER_SHARE))
    assert judge_by == pytest.approx(100 + 10 * (1 - DEADLINE_WRITER_SHARE))
    assert 100 < panel_by < judge_by < 110


async def test_a_deadline_returns_the_fast_answer_judged_and_the_slow_one_failed(provider, config):
    provider.add(PANEL[0], HANG)
    started = time.monotonic()
    result = await fuse(QUESTION, client=provider.async_openai(),
                        config=config.replace(panel=PANEL[:2], deadline=3, panel_timeout=SLOW))
    assert time.monotonic() - started < SLOW / 4
    assert result.status == "ok"
    assert result.responses == [{"model": PANEL[1], "content": "Answer B: 100 C; impurities raise it."}]
    assert result.analysis is not None  # the judge ran, within the deadline
    [failed] = result.failed_models
    assert failed["model"] == PANEL[0] and "deadline" in failed["error"] and failed["status_code"] is None
    stages = [(c.stage, c.model) for c in result.usage.calls]
    assert ("panel", PANEL[1]) in stages and ("judge", JUDGE) in stages
    assert result.usage.total_tokens > 0
    assert provider.requests_for(PANEL[0])[0].wait_finished(5) and provider.requests_for(PANEL[0])[0].cancelled


async def test_a_deadline_with_no_answer_keeps_the_failures_and_the_usage(provider, config):
    for model in PANEL[:2]:
        provider.add(model, searches_then_hangs)
    result = await fuse(QUESTION, client=provider.async_openai(),
                        config=config.replace(panel=PANEL[:2], deadline=2, panel_timeout=SLOW, tools=None,
                                              search=f"local:{CORPUS}"))
    assert result.status == "error" and result.failure_reason == "deadline_exceeded"
    assert [f["model"] for f in result.failed_models] == list(PANEL[:2])
    assert all("deadline" in f["error"] for f in result.failed_models)
    assert [c.stage for c in result.usage.calls] == ["panel", "panel"]  # the searches' rounds, kept
    assert result.to_dict()["usage"]["total_tokens"] > 0
    assert not provider.requests_for(JUDGE)


def test_alias_mode_under_a_deadline_writes_from_what_answered(provider, config):
    provider.add(PANEL[2], HANG)
    client = wrap_openai(provider.openai(), config=config.replace(deadline=3, panel_timeout=SLOW))
    started = time.monotonic()
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert time.monotonic() - started < SLOW / 4
    assert completion.choices[0].message.content == "The fused answer."
    assert [f["model"] for f in completion.fusion["failed_models"]] == [PANEL[2]]
    writer = [r for r in provider.requests_for(JUDGE) if is_writer(r)]
    assert len(writer) == 1


# -- fix 4: the judge's and the writer's own timeouts ----------------------------------------------

def test_the_timeouts_are_config_fields_with_named_defaults():
    from fusion_tool.core.config import DEFAULT_JUDGE_TIMEOUT, DEFAULT_WRITER_TIMEOUT

    config = FusionConfig()
    assert (config.judge_timeout, config.writer_timeout) == (DEFAULT_JUDGE_TIMEOUT, DEFAULT_WRITER_TIMEOUT)
    for name in ("judge_timeout", "writer_timeout"):
        with pytest.raises(ValueError, match=name):
            FusionConfig(**{name: 0})


async def test_a_slow_judge_times_out_and_the_answers_stand(provider, config):
    provider.add(JUDGE, judge_that_hangs_as("judge"))
    started = time.monotonic()
    result = await fuse(QUESTION, client=provider.async_openai(),
                        config=config.replace(judge_timeout=1, deadline=SLOW * 10))
    assert time.monotonic() - started < SLOW / 4
    assert result.status == "ok" and result.analysis is None and len(result.responses) == 3
    assert "timed out" in result.trace["judge"]["error"]


async def test_a_judge_timed_out_in_its_repair_round_keeps_its_first_calls_usage(provider, config):
    provider.add(JUDGE, [Reply(text="not json at all"), HANG])
    result = await fuse(QUESTION, client=provider.async_openai(), config=config.replace(judge_timeout=1.5))
    assert result.analysis is None and "timed out" in result.trace["judge"]["error"]
    assert [c.stage for c in result.usage.calls].count("judge") == 1


def test_alias_mode_goes_on_without_the_analysis_when_the_judge_times_out(provider, config):
    provider.add(JUDGE, judge_that_hangs_as("judge"))
    client = wrap_openai(provider.openai(), config=config.replace(judge_timeout=1, deadline=SLOW * 10))
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.choices[0].message.content == "The fused answer."
    assert "analysis" not in completion.fusion and len(completion.fusion["responses"]) == 3
    assert "timed out" in completion.fusion["trace"]["judge"]["error"]


def test_a_slow_writer_is_a_504_through_the_sdk(provider, config):
    provider.add(JUDGE, judge_that_hangs_as("writer"))
    client = wrap_openai(provider.openai(), config=config.replace(writer_timeout=1, deadline=SLOW * 10))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert time.monotonic() - started < SLOW / 4
    assert caught.value.status_code == 504 and caught.value.body["code"] == "writer_timeout"


@pytest.fixture
def proxy(provider, config):
    provider.add(JUDGE, judge_that_hangs_as("writer"))
    with provider.serve() as upstream:
        server = config.replace(base_url=upstream, writer_timeout=1, deadline=SLOW * 10)
        with running(create_app(server, keepalive_seconds=30)) as url:
            yield url


def test_a_slow_writer_is_a_504_through_the_proxy(proxy):
    response = httpx.post(f"{proxy}/chat/completions", json={"model": "openrouter/fusion", "messages": MESSAGES},
                          timeout=SLOW / 4)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "writer_timeout"


def test_a_slow_streamed_writer_ends_the_stream_with_a_504(proxy):
    response = httpx.post(f"{proxy}/chat/completions", timeout=SLOW / 4,
                          json={"model": "openrouter/fusion", "messages": MESSAGES, "stream": True})
    assert response.status_code == 504  # before the first byte: an honest status
    assert response.json()["error"]["code"] == "writer_timeout"


def test_a_stream_whose_writer_stalls_midway_ends_with_a_writer_timeout_event(provider, config):
    def judge(req: ScriptedRequest) -> Reply:
        if is_writer(req):
            return Reply(text="word " * 40, chunk_size=5, chunk_delay=0.2)  # 8 s of streaming
        return Reply(json=ANALYSIS)

    provider.add(JUDGE, judge)
    with provider.serve() as upstream:
        with running(create_app(config.replace(base_url=upstream, writer_timeout=1.5))) as url:
            response = httpx.post(f"{url}/chat/completions", timeout=SLOW / 4,
                                  json={"model": "openrouter/fusion", "messages": MESSAGES, "stream": True})
    assert response.status_code == 200
    events = [line[6:] for line in response.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert error["code"] == "writer_timeout"
    assert any('"content"' in e for e in events[:-2])  # some of the answer came first


def test_a_panel_timeout_still_applies_under_a_long_deadline(provider, config):
    provider.add(PANEL[0], panelist("late", delay=SLOW))
    client = wrap_openai(provider.openai(), config=config.replace(panel_timeout=1, deadline=SLOW * 10))
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    [failed] = completion.fusion["failed_models"]
    assert failed["model"] == PANEL[0] and "timed out" in failed["error"]
