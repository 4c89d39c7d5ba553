"""Alias mode: ``model="openrouter/fusion"``. The fusion call is made for the model, once, from
the user's prompt; then the judge model writes the answer. Panel, judge, writer: nothing else.

Inside an agent loop the writer may call the caller's own tools (with the caller's
``tool_choice``); ``fusion`` is declared to it, since the transcript holds its call, but a call of
it never reaches the client. A request whose transcript ends with the caller's tool results
continues the same user turn: the fusion exchange kept for it (``Memory``, or carried by the
client from ``trace.messages``) is put back and the writer goes on; no second panel runs. Every
panelist failed: :class:`FusionFailed`, not an answer written from nothing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fusion_tool.core.errors import FusionFailed
from fusion_tool.core.events import Emitter, Listener
from fusion_tool.core.schemas import fusion_function
from fusion_tool.core.transcript import as_dicts, fusion_exchange, prompt_from_messages
from fusion_tool.core.usage import Usage
from fusion_tool.modes import shape
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import Plan
from fusion_tool.pipeline.fuse import FusionResult, open_spend, run, tools_factory, writer_worst
from fusion_tool.pipeline.writer import write, write_stream, writer_messages
from fusion_tool.provider.upstream import Upstream

# request fields that concern the panel, not the writer's answer
_NOT_FOR_WRITER = ("stream", "stream_options", "n")


def _continues(messages: list[dict[str, Any]]) -> bool:
    """The transcript ends with the caller's tool results: the same user turn goes on."""
    return bool(messages) and messages[-1].get("role") == "tool"


async def _deliberate(
    plan: Plan, upstream: Upstream, on_event: Listener | None, memory: Memory | None
) -> tuple[FusionResult | None, dict[str, Any], list[dict[str, Any]], float]:
    """The fusion result (None on a continuation), the writer's request, the fusion exchange
    (to keep for a continuation) and the deadline."""
    deadline = time.monotonic() + plan.config.deadline
    messages = as_dicts(plan.params.get("messages") or [])
    if memory is not None:
        messages = await memory.splice(messages)
    result, exchange = None, []
    spend = await open_spend(plan.config, upstream)
    if not _continues(messages):
        prompt = prompt_from_messages(messages)
        if spend.limited:  # the writer's worst case is kept back from the start: the answer can be written
            spend.hold("writer", writer_worst(messages, plan.config, plan.params, spend))
        result = await run(prompt, upstream, plan.config, on_event=on_event, tools_factory=tools_factory(plan.config),
                           spend=spend, store=memory.store if memory is not None else None)
        if result.status != "ok":
            raise FusionFailed(result.error or "every panel model failed",
                               failure_reason=result.failure_reason or "all_panels_failed",
                               failed_models=result.failed_models)
        exchange = fusion_exchange(prompt, result.tool_result())
    judge = plan.config.judge_model()
    params = {k: v for k, v in plan.params.items() if k not in _NOT_FOR_WRITER}
    params["model"] = judge
    params["messages"] = writer_messages([*messages, *exchange])
    if spend.limited:  # read by Upstream.complete / stream: the writer's call reserves out of its hold
        params.update(spend=spend, hold="writer")
    user_tools = list(params.get("tools") or [])
    # declare the tool the transcript used (some providers insist); the caller's own tools stay
    # callable with the caller's tool_choice, and fusion's calls never leave (see _without_fusion)
    params["tools"] = [*user_tools, fusion_function()]
    if not user_tools:
        params["tool_choice"] = "none"
    Emitter(on_event)("writer_start", judge)
    return result, params, exchange, deadline


def _is_fusion(call: Any) -> bool:
    function = call.get("function") if isinstance(call, dict) else getattr(call, "function", None)
    name = function.get("name") if isinstance(function, dict) else getattr(function, "name", None)
    return name == "fusion"


def _without_fusion(completion: ChatCompletion) -> ChatCompletion:
    """The writer's answer with any call of ``fusion`` taken out (it ran already)."""
    if not completion.choices or not any(map(_is_fusion, completion.choices[0].message.tool_calls or [])):
        return completion
    data = completion.model_dump()
    choice = data["choices"][0]
    calls = [c for c in choice["message"].get("tool_calls") or [] if not _is_fusion(c)]
    choice["message"]["tool_calls"] = calls or None
    if not calls and choice.get("finish_reason") == "tool_calls":
        choice["finish_reason"] = "stop"
    return ChatCompletion.model_validate(data)


def _record(result: FusionResult | None, usage: Usage, transcript: list[dict[str, Any]]) -> dict[str, Any]:
    # the whole transcript, fusion's exchange included: a client without our memory continues from it
    return shape.fusion_record(result, usage, mode="alias", messages=transcript)


async def complete(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> ChatCompletion:
    result, params, exchange, deadline = await _deliberate(plan, upstream, on_event, memory)
    usage = Usage(list(result.usage.calls) if result is not None else [])
    completion = _without_fusion(await write(upstream, params, usage, deadline=deadline,
                                             timeout=plan.config.writer_timeout))
    Emitter(on_event)("writer_done", params["model"], tokens=usage.calls[-1].total_tokens, cost=usage.calls[-1].cost)
    calls = completion.choices[0].message.tool_calls if completion.choices else None
    if memory is not None and calls and exchange:
        await memory.keep([c.id for c in calls], exchange)
    if result is not None and params.get("spend") is not None:
        result.trace["spend"] = params["spend"].record()
    record = _record(result, usage, params["messages"][1:])
    return shape.finish(completion, usage, record, result.sources if result is not None else [])


class _FusionDeltas:
    """Drops streamed tool-call deltas of ``fusion`` (by their index) and notes the others' ids."""

    def __init__(self) -> None:
        self.fusion: set[tuple[int, int]] = set()
        self.user_ids: list[str] = []

    def __call__(self, chunk: ChatCompletionChunk) -> ChatCompletionChunk | None:
        if not any(c.delta.tool_calls for c in chunk.choices):
            return chunk
        data = chunk.model_dump(exclude_unset=True)
        for choice in data["choices"]:
            kept = []
            for delta in choice["delta"].get("tool_calls") or []:
                key = (choice["index"], delta["index"])
                if (delta.get("function") or {}).get("name") == "fusion":
                    self.fusion.add(key)
                if key in self.fusion:
                    continue
                if delta.get("id"):
                    self.user_ids.append(delta["id"])
                kept.append(delta)
            if not kept:
                choice["delta"].pop("tool_calls", None)
            else:
                choice["delta"]["tool_calls"] = kept
        if all(not c["delta"] and not c.get("finish_reason") for c in data["choices"]):
            return None
        return ChatCompletionChunk.model_validate(data)

    def finish(self, chunk: ChatCompletionChunk) -> ChatCompletionChunk:
        """A ``tool_calls`` finish with only fusion's calls dropped is an ordinary stop."""
        if self.fusion and not self.user_ids and any(c.finish_reason == "tool_calls" for c in chunk.choices):
            data = chunk.model_dump(exclude_unset=True)
            for choice in data["choices"]:
                if choice.get("finish_reason") == "tool_calls":
                    choice["finish_reason"] = "stop"
            return ChatCompletionChunk.model_validate(data)
        return chunk


async def stream(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> AsyncIterator[ChatCompletionChunk]:
    """The answer's chunks, then always one usage chunk with the summed usage and the fusion
    record; a front drops it when the caller did not ask for ``stream_options.include_usage``."""
    result, params, exchange, deadline = await _deliberate(plan, upstream, on_event, memory)
    usage = Usage(list(result.usage.calls) if result is not None else [])
    text = []
    deltas = _FusionDeltas()
    async for chunk in write_stream(upstream, params, usage, deadline=deadline, timeout=plan.config.writer_timeout):
        if chunk.choices:
            kept = deltas(chunk)
            if kept is None:
                continue
            text.append(kept.choices[0].delta.content or "" if kept.choices else "")
            yield deltas.finish(kept)
        else:
            Emitter(on_event)("writer_done", params["model"], tokens=usage.calls[-1].total_tokens,
                              cost=usage.calls[-1].cost)
            if memory is not None and deltas.user_ids and exchange:
                await memory.keep(deltas.user_ids, exchange)
            if result is not None and params.get("spend") is not None:
                result.trace["spend"] = params["spend"].record()
            record = _record(result, usage, params["messages"][1:])
            shape.stream_citations("".join(text), record, result.sources if result is not None else [])
            yield shape.with_usage(chunk, usage, record)
