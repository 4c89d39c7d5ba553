"""An unknown cost is unknown, not free: None from the provider's usage to the CLI's last line."""

from __future__ import annotations

import io

import pytest
from openai.types import CompletionUsage

from fusion_tool import Call, Event, Usage, wrap_openai
from fusion_tool.cli.progress import Progress, dollars
from fusion_tool.core.usage import total_cost
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply

from .conftest import ANALYSIS, JUDGE, PANEL, is_writer

MESSAGES = [{"role": "user", "content": "At what temperature does water boil, and why does it vary?"}]
NO_COST = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}  # a provider that reports no cost


def test_a_call_without_a_reported_cost_has_none_and_a_reported_zero_is_free():
    assert Call.from_usage("panel", "m", None).cost is None
    assert Call.from_usage("panel", "m", CompletionUsage.model_validate(NO_COST)).cost is None
    assert Call.from_usage("panel", "m", CompletionUsage.model_validate({**NO_COST, "cost": 0})).cost == 0.0
    assert Call.from_usage("panel", "m", CompletionUsage.model_validate({**NO_COST, "cost": 0.25})).cost == 0.25


def test_the_sum_is_known_only_when_every_cost_is():
    assert total_cost([0.1, 0.2]) == pytest.approx(0.3) and total_cost([]) == 0.0
    assert total_cost([0.1, None, 0.2]) is None
    known = Usage([Call("panel", "a", 1, 1, 2, 0.5), Call("judge", "j", 1, 1, 2, 0.25)])
    assert known.cost == 0.75 and known.to_openai().cost == 0.75 and known.to_dict()["cost"] == 0.75
    partly = Usage([*known.calls, Call("writer", "j", 1, 1, 2, None)])
    assert partly.cost is None and partly.total_tokens == 6
    assert partly.to_openai().cost is None and partly.to_openai().model_dump()["cost"] is None
    assert partly.to_dict()["cost"] is None and partly.to_dict()["calls"][-1]["cost"] is None


def _judge_without_cost(req):
    if is_writer(req):
        return Reply(text="The fused answer.", usage=NO_COST)
    return Reply(json=ANALYSIS, usage=NO_COST)


async def test_a_fused_call_with_an_unknown_cost_reports_none_not_zero(provider, config):
    provider.add(JUDGE, _judge_without_cost)
    events: list[Event] = []
    client = wrap_openai(provider.async_openai(), config=config, on_event=events.append)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.usage.total_tokens > 0
    assert completion.usage.cost is None  # null on the wire: unknown, where 0.0 would read as free
    costs = {c["stage"]: c["cost"] for c in completion.fusion["calls"]}
    assert costs["panel"] > 0 and costs["judge"] is None and costs["writer"] is None
    assert [e.data["cost"] for e in events if e.kind == "writer_done"] == [None]
    assert all(e.data["cost"] > 0 for e in events if e.kind == "panelist_done")


async def test_a_fused_call_whose_costs_are_all_known_reports_their_sum(provider, config):
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.usage.cost == pytest.approx(sum(c["cost"] for c in completion.fusion["calls"]))
    assert completion.usage.cost == pytest.approx(provider.total_usage()["cost"])


def test_the_proxy_sends_a_known_cost_as_a_number_and_an_unknown_one_as_null(provider, config):
    import httpx

    body = {"model": "openrouter/fusion", "messages": MESSAGES}
    with running(create_app(config, client=provider.async_openai())) as url:
        known = httpx.post(f"{url}/chat/completions", json=body, timeout=30).json()["usage"]
        provider.add(JUDGE, _judge_without_cost)
        unknown = httpx.post(f"{url}/chat/completions", json=body, timeout=30).json()["usage"]
    assert isinstance(known["cost"], float) and known["cost"] > 0
    assert unknown["cost"] is None and unknown["total_tokens"] > 0


def test_the_progress_display_says_cost_unknown():
    assert dollars(None) == "cost unknown" and dollars(0.01234) == "$0.0123"
    out = io.StringIO()
    with Progress(PANEL, JUDGE, stream=out) as progress:  # not a terminal: one plain line per change
        progress(Event("panelist_done", PANEL[0], 0, {"seconds": 1.0, "tokens": 12, "cost": None}))
        progress(Event("panelist_done", PANEL[1], 1, {"seconds": 1.0, "tokens": 12, "cost": 0.5}))
    lines = out.getvalue().splitlines()
    assert "12 tokens, cost unknown" in lines[0] and "$0.0000" not in lines[0]
    assert "12 tokens, $0.5000" in lines[1]


def test_the_cli_says_cost_unknown(provider, config, capsys):
    import asyncio

    from fusion_tool.cli.ask import ask

    provider.add(JUDGE, _judge_without_cost)
    with provider.serve() as base_url:
        config = config.replace(base_url=base_url, api_key="test")
        assert asyncio.run(ask("Why is the sky blue at noon but red at sunset?", config, as_json=False)) == 0
    err = capsys.readouterr().err
    assert "cost unknown over" in err and "$0.0000 over" not in err
