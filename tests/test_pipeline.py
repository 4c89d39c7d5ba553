"""fuse(), the pipeline alone: straggler grace, events, logs."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from fusion_tool import fuse
from fusion_tool.core.log import configure
from fusion_tool.testing import Reply

from .conftest import JUDGE, PANEL, panelist


async def test_fuse_returns_the_tool_result_shape(provider, config):
    result = await fuse("Why is the sky blue?", config=config, client=provider.async_openai())
    out = result.tool_result()
    assert out["status"] == "ok" and len(out["responses"]) == 3 and out["failed_models"] == []
    assert set(out["analysis"]) == {"consensus", "contradictions", "partial_coverage", "unique_insights", "blind_spots"}
    reported = provider.total_usage()  # what the provider itself reported, summed: an independent figure
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (
        reported["prompt_tokens"], reported["completion_tokens"], reported["total_tokens"]) != (0, 0, 0)
    assert len(result.usage.calls) == 4 and result.usage.cost == pytest.approx(reported["cost"])


async def test_fuse_without_a_client_uses_the_configured_base_url(provider, config):
    async with provider.aserve() as base_url:
        result = await fuse("Why is the sky blue?", config=config.replace(base_url=base_url, api_key="k"))
    assert result.status == "ok"
    assert provider.requests[0].headers["authorization"] == "Bearer k"


async def test_straggler_grace_stops_waiting_for_the_slow_panelist(provider, config):
    provider.add(PANEL[2], panelist("slow", delay=3))
    started = time.monotonic()
    result = await fuse("q", config=config.replace(straggler_grace=0.2), client=provider.async_openai())
    assert time.monotonic() - started < 2
    assert [f["model"] for f in result.failed_models] == [PANEL[2]]
    assert "straggler" in result.failed_models[0]["error"]
    assert len(result.responses) == 2


async def test_without_grace_the_panel_waits_for_everyone(provider, config):
    provider.add(PANEL[2], panelist("slow but here", delay=0.6))
    result = await fuse("q", config=config, client=provider.async_openai())
    assert {"model": PANEL[2], "content": "slow but here"} in result.responses


async def test_progress_events_cover_every_stage(provider, config):
    events = []
    await fuse("q", config=config, client=provider.async_openai(), on_event=events.append)
    kinds = [e.kind for e in events]
    assert kinds.count("panelist_start") == 3 and kinds.count("panelist_done") == 3
    assert kinds[-2:] == ["judge_start", "judge_done"]
    done = [e for e in events if e.kind == "panelist_done"]
    assert all(e.data["tokens"] > 0 and e.data["cost"] > 0 and "seconds" in e.data for e in done)


async def test_logs_are_json_events_and_never_carry_the_key(provider, config):
    stream = io.StringIO()
    configure(level="debug", json=True, stream=stream)
    try:
        provider.add(PANEL[0], lambda req: Reply(status=500, error="upstream said Bearer sk-secretsecret123"))
        secret = "sk-secretsecret123"
        async with provider.aserve() as base_url:
            await fuse("q", config=config.replace(base_url=base_url, api_key=secret, max_retries=0))
    finally:
        logging.getLogger("fusion_tool").handlers.clear()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {"panelist_start", "panelist_failed", "judge_done"} <= {e["event"] for e in lines}
    assert secret not in stream.getvalue()
    failed = next(e for e in lines if e["event"] == "panelist_failed")
    assert failed["model"] == PANEL[0] and failed["status_code"] == 500


async def test_judge_failure_keeps_the_panel_answers(provider, config):
    provider.add(JUDGE, lambda req: Reply(status=400, error="bad judge"))
    result = await fuse("q", config=config.replace(max_retries=0), client=provider.async_openai())
    assert result.status == "ok" and result.analysis is None and len(result.responses) == 3
    assert "judge failed" in result.trace["judge"]["error"]
