"""Alias mode: ``model="openrouter/fusion"``. The fusion call is made for the model, once, from
the user's prompt; then the judge model writes the answer. Panel, judge, writer: nothing else."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fusion_tool.core.events import Emitter, Listener
from fusion_tool.core.schemas import fusion_function
from fusion_tool.core.transcript import as_dicts, fusion_exchange, prompt_from_messages
from fusion_tool.core.usage import Usage
from fusion_tool.modes import shape
from fusion_tool.modes.plan import Plan
from fusion_tool.pipeline.fuse import FusionResult, run, tools_factory
from fusion_tool.pipeline.writer import write, write_stream, writer_messages
from fusion_tool.provider.upstream import Upstream

# request fields that concern the panel, not the writer's answer
_NOT_FOR_WRITER = ("stream", "stream_options", "n")


async def _deliberate(plan: Plan, upstream: Upstream, on_event: Listener | None) -> tuple[FusionResult, dict[str, Any], float]:
    deadline = time.monotonic() + plan.config.deadline
    messages = as_dicts(plan.params.get("messages") or [])
    prompt = prompt_from_messages(messages)
    result = await run(prompt, upstream, plan.config, on_event=on_event, tools_factory=tools_factory(plan.config))
    judge = plan.config.judge_model()
    params = {k: v for k, v in plan.params.items() if k not in _NOT_FOR_WRITER}
    params["model"] = judge
    params["messages"] = writer_messages([*messages, *fusion_exchange(prompt, result.tool_result())])
    # declare the tool the transcript used (some providers insist), but do not offer it again
    params["tools"] = [*(params.get("tools") or []), fusion_function()]
    params.setdefault("tool_choice", "none")
    Emitter(on_event)("writer_start", judge)
    return result, params, deadline


async def complete(plan: Plan, upstream: Upstream, on_event: Listener | None = None) -> ChatCompletion:
    result, params, deadline = await _deliberate(plan, upstream, on_event)
    usage = Usage(list(result.usage.calls))
    completion = await write(upstream, params, usage, deadline=deadline)
    Emitter(on_event)("writer_done", params["model"], tokens=usage.calls[-1].total_tokens, cost=usage.calls[-1].cost)
    return shape.finish(completion, usage, shape.fusion_record(result, usage, mode="alias"), result.sources)


async def stream(plan: Plan, upstream: Upstream, on_event: Listener | None = None) -> AsyncIterator[ChatCompletionChunk]:
    """The answer's chunks, then always one usage chunk with the summed usage and the fusion
    record; a front drops it when the caller did not ask for ``stream_options.include_usage``."""
    result, params, deadline = await _deliberate(plan, upstream, on_event)
    usage = Usage(list(result.usage.calls))
    text = []
    async for chunk in write_stream(upstream, params, usage, deadline=deadline):
        if chunk.choices:
            text.append(chunk.choices[0].delta.content or "")
            yield chunk
        else:
            Emitter(on_event)("writer_done", params["model"], tokens=usage.calls[-1].total_tokens,
                              cost=usage.calls[-1].cost)
            record = shape.fusion_record(result, usage, mode="alias")
            shape.stream_citations("".join(text), record, result.sources)
            yield shape.with_usage(chunk, usage, record)
