"""Alias mode through wrap_openai, with the real SDK over HTTP against the scripted provider."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from fusion_tool import FusionConfig, wrap_openai
from fusion_tool.testing import Reply

from .conftest import JUDGE, PANEL, is_writer, judge_behaviour, panelist, tool_result_sent_to_writer

MESSAGES = [{"role": "user", "content": "At what temperature does water boil, and why does it vary?"}]


def test_sync_alias_returns_the_sdks_chat_completion(provider, config):
    client = wrap_openai(provider.openai(), config=config)
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert isinstance(completion, openai.types.chat.ChatCompletion)
    assert completion.choices[0].message.content == "The fused answer."
    assert completion.fusion["status"] == "ok"
    assert [r["model"] for r in completion.fusion["responses"]] == list(PANEL)
    assert completion.fusion["analysis"]["blind_spots"] == ["superheating"]
    # every panelist asked once, the judge twice (analysis, then the answer): nothing else
    assert sorted(r.model for r in provider.requests) == sorted([*PANEL, JUDGE, JUDGE])


async def test_async_alias_and_the_tool_result_the_writer_reads(provider, config):
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.choices[0].message.content == "The fused answer."
    result = tool_result_sent_to_writer(provider)
    assert result["status"] == "ok"
    assert set(result) == {"status", "analysis", "responses", "failed_models"}
    # neutral labels are mapped back to model names
    models = {s["model"] for c in result["analysis"]["contradictions"] for s in c["stances"]}
    assert models <= set(PANEL)


async def test_three_panelists_run_in_parallel(provider, config):
    for model in PANEL:
        provider.add(model, panelist(f"answer of {model}", delay=0.2))
    provider.add(JUDGE, judge_behaviour(delay=0.2))
    client = wrap_openai(provider.async_openai(), config=config)
    started = time.monotonic()
    await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    elapsed = time.monotonic() - started
    # serial critical path: 200 ms panel + 200 ms judge + 200 ms writer; serial panel would be 1 s
    assert elapsed < 1.3 * 0.6, elapsed


async def test_failing_and_hanging_panelists_are_recorded_and_the_call_answers(provider, config):
    provider.add(PANEL[0], lambda req: Reply(status=500, error="boom"))
    provider.add(PANEL[1], lambda req: Reply(hang=True))
    client = wrap_openai(provider.async_openai(), config=config.replace(panel_timeout=0.5, max_retries=0))
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.choices[0].message.content == "The fused answer."
    failed = {f["model"]: f for f in completion.fusion["failed_models"]}
    assert set(failed) == {PANEL[0], PANEL[1]}
    assert failed[PANEL[0]]["status_code"] == 500 and "boom" in failed[PANEL[0]]["error"]
    assert "timed out" in failed[PANEL[1]]["error"] and failed[PANEL[1]]["status_code"] is None
    assert [r["model"] for r in completion.fusion["responses"]] == [PANEL[2]]


async def test_all_panelists_failing_is_an_error_not_an_answer_from_nothing(provider, config):
    for model in PANEL:
        provider.add(model, lambda req: Reply(status=503, error="down"))
    client = wrap_openai(provider.async_openai(), config=config.replace(max_retries=0))
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert info.value.status_code == 502 and info.value.code == "all_panels_failed"
    assert [r for r in provider.requests_for(JUDGE) if is_writer(r)] == []  # nothing written from nothing
    assert sum(len(provider.requests_for(m)) for m in PANEL) == 3  # and the SDK did not re-run the panel


async def test_429_with_retry_after_is_retried_once_after_the_hint(provider, config):
    def once_limited(req):
        return Reply(status=429, headers={"Retry-After": "1"}) if req.attempt == 1 else Reply(text="late but fine")

    provider.add(PANEL[0], once_limited)
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    seen = provider.requests_for(PANEL[0])
    assert len(seen) == 2
    gap = seen[1].received_at - seen[0].received_at
    assert 0.9 <= gap < 2.0, gap
    assert {"model": PANEL[0], "content": "late but fine"} in completion.fusion["responses"]


async def test_invalid_judge_json_is_repaired(provider, config):
    from .conftest import ANALYSIS

    def judge(req):
        if is_writer(req):
            return Reply(text="answer")
        judge_calls = [r for r in provider.requests_for(JUDGE) if not is_writer(r)]
        return Reply(text="{not json") if len(judge_calls) == 1 else Reply(json=ANALYSIS)

    provider.add(JUDGE, judge)
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.fusion["analysis"]["consensus"] == ANALYSIS["consensus"]
    repair = [r for r in provider.requests_for(JUDGE) if not is_writer(r)][1]
    assert "not a valid analysis" in repair.messages[-1]["content"]


async def test_a_judge_that_never_manages_leaves_the_analysis_out(provider, config):
    provider.add(JUDGE, lambda req: Reply(text="the answer") if is_writer(req) else Reply(text="no JSON here"))
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    assert completion.choices[0].message.content == "the answer"
    assert completion.fusion["status"] == "ok"
    assert "analysis" not in completion.fusion
    assert "analysis" not in tool_result_sent_to_writer(provider)


async def test_a_provider_without_json_schema_steps_down_and_remembers(provider, config):
    from .conftest import ANALYSIS

    def picky(req):
        if is_writer(req):
            return Reply(text="ok")
        if (req.response_format or {}).get("type") == "json_schema":
            return Reply(status=500, error="json_schema not supported")
        return Reply(json=ANALYSIS)

    provider.add(JUDGE, picky)
    client = wrap_openai(provider.async_openai(), config=config)
    for _ in range(2):
        completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
        assert completion.fusion["analysis"] is not None
    kinds = [(r.response_format or {}).get("type") for r in provider.requests_for(JUDGE) if not is_writer(r)]
    assert kinds == ["json_schema", "json_object", "json_object"]


async def test_usage_is_the_sum_over_every_inner_call(provider, config):
    client = wrap_openai(provider.async_openai(), config=config)
    completion = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    calls = completion.fusion["calls"]
    assert [c["stage"] for c in calls] == ["panel"] * 3 + ["judge", "writer"]
    usages = [provider.usage_of(r) for r in provider.requests]
    assert completion.usage.total_tokens == sum(u["total_tokens"] for u in usages) == sum(c["total_tokens"] for c in calls)
    assert completion.usage.prompt_tokens == sum(u["prompt_tokens"] for u in usages)
    assert completion.usage.completion_tokens == sum(u["completion_tokens"] for u in usages)
    assert completion.usage.cost == pytest.approx(sum(u["cost"] for u in usages))


def test_streaming_alias_yields_sdk_chunks_and_summed_usage(provider, config):
    provider.add(JUDGE, judge_behaviour(answer="A streamed fused answer, in several pieces."))
    client = wrap_openai(provider.openai(), config=config)
    stream = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "A streamed fused answer, in several pieces."
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    closing = chunks[-1]  # the SDK's own chunk, with the summed usage and the fusion record
    reported = provider.total_usage()  # the provider's own figures, the streamed writer's included
    assert closing.choices == [] and (closing.usage.prompt_tokens, closing.usage.completion_tokens,
                                      closing.usage.total_tokens) == (
        reported["prompt_tokens"], reported["completion_tokens"], reported["total_tokens"])
    assert len(closing.fusion["calls"]) == 5 and closing.usage.total_tokens > 0


async def test_async_streaming_without_include_usage_has_no_usage_chunk(provider, config):
    client = wrap_openai(provider.async_openai(), config=config)
    stream = await client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES, stream=True)
    chunks = [c async for c in stream]
    assert chunks and all(c.choices for c in chunks)  # no closing usage chunk unless asked for
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "The fused answer."


@pytest.mark.parametrize("where", ["keyword", "extra_body"])
def test_plugins_choose_the_panel_and_judge(provider, config, where):
    provider.add("other/judge", judge_behaviour(answer="from the other judge"))
    plugin = {"id": "fusion", "model": "other/judge", "analysis_models": [PANEL[1], PANEL[1]]}
    client = wrap_openai(provider.openai(), config=config)
    extra = {"plugins": [plugin]} if where == "keyword" else {"extra_body": {"plugins": [plugin]}}
    completion = client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES, **extra)
    assert completion.choices[0].message.content == "from the other judge"
    # self-fusion: the same model twice is two panelists
    assert [r["model"] for r in completion.fusion["responses"]] == [PANEL[1], PANEL[1]]
    assert len(provider.requests_for(PANEL[0])) == 0
    assert "plugins" not in provider.requests[-1].body


def test_flash_alias_uses_the_fast_preset_and_env_overrides_it(provider, monkeypatch):
    from fusion_tool import PRESETS

    monkeypatch.delenv("FUSION_PANEL", raising=False)
    monkeypatch.delenv("FUSION_JUDGE", raising=False)
    for model in {*PRESETS["fast"].panel, PRESETS["fast"].judge}:
        provider.add(model, judge_behaviour() if model == PRESETS["fast"].judge else panelist("x"))
    client = wrap_openai(provider.openai(), config=FusionConfig.from_env(tools=()))
    completion = client.chat.completions.create(model="openrouter/fusion-flash", messages=MESSAGES)
    assert {r["model"] for r in completion.fusion["responses"]} == set(PRESETS["fast"].panel)

    monkeypatch.setenv("FUSION_PANEL", f"{PANEL[0]},{PANEL[2]}")
    monkeypatch.setenv("FUSION_JUDGE", JUDGE)
    client = wrap_openai(provider.openai(), config=FusionConfig.from_env(tools=()))
    completion = client.chat.completions.create(model="openrouter/fusion-flash", messages=MESSAGES)
    assert [r["model"] for r in completion.fusion["responses"]] == [PANEL[0], PANEL[2]]
    assert completion.model == JUDGE


def test_anything_else_passes_through_untouched(provider, config):
    provider.add("plain/model", "plain answer")
    client = wrap_openai(provider.openai(), config=config)
    completion = client.chat.completions.create(model="plain/model", messages=MESSAGES, temperature=0.3)
    assert completion.choices[0].message.content == "plain answer"
    assert len(provider.requests) == 1
    assert provider.requests[0].body == {"model": "plain/model", "messages": MESSAGES, "temperature": 0.3}
    assert not hasattr(completion, "fusion") or completion.model_extra.get("fusion") is None
    assert client.models is client.unwrapped.models or client.base_url == client.unwrapped.base_url


async def test_a_deadline_bounds_the_whole_call(provider, config):
    for model in PANEL:
        provider.add(model, lambda req: Reply(hang=True))
    client = wrap_openai(provider.async_openai(), config=config.replace(deadline=0.5, panel_timeout=60))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as info:
        await asyncio.wait_for(client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES), timeout=5)
    assert time.monotonic() - started < 3
    assert info.value.status_code == 504 and info.value.code == "deadline_exceeded"


def test_the_writer_reads_a_valid_transcript_and_is_not_offered_fusion_again(provider, config):
    client = wrap_openai(provider.openai(), config=config)
    client.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
    writer = [r for r in provider.requests_for(JUDGE) if is_writer(r)][0]
    roles = [m["role"] for m in writer.messages]
    assert roles == ["system", "user", "assistant", "tool"]
    call = writer.messages[2]["tool_calls"][0]
    assert call["function"]["name"] == "fusion" and writer.messages[3]["tool_call_id"] == call["id"]
    assert writer.messages[2]["content"] == ""  # never null beside tool calls
    assert writer.tool_names == ["fusion"] and writer.body["tool_choice"] == "none"
