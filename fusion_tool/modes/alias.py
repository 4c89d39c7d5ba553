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

from fusion_tool.core import chat
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


def _is_fusion(call: dict[str, Any]) -> bool:
    return chat.function_name(call) == "fusion"


def _without_fusion(completion: dict[str, Any]) -> dict[str, Any]:
    """The writer's answer with any call of ``fusion`` taken out (it ran already)."""
    if not any(map(_is_fusion, chat.tool_calls(completion))):
        return completion
    choice = completion["choices"][0]
    calls = [c for c in choice["message"]["tool_calls"] if not _is_fusion(c)]
    if calls:
        choice["message"]["tool_calls"] = calls
    else:
        choice["message"].pop("tool_calls")
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return completion


def _record(result: FusionResult | None, usage: Usage, transcript: list[dict[str, Any]]) -> dict[str, Any]:
    # the whole transcript, fusion's exchange included: a client without our memory continues from it
    return shape.fusion_record(result, usage, mode="alias", messages=transcript)


async def complete(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> dict[str, Any]:
    result, params, exchange, deadline = await _deliberate(plan, upstream, on_event, memory)
    usage = Usage(list(result.usage.calls) if result is not None else [])
    completion = _without_fusion(await write(upstream, params, usage, deadline=deadline,
                                             timeout=plan.config.writer_timeout))
    Emitter(on_event)("writer_done", params["model"], tokens=usage.calls[-1].total_tokens, cost=usage.calls[-1].cost)
    calls = chat.tool_calls(completion)
    if memory is not None and calls and exchange:
        await memory.keep([c["id"] for c in calls], exchange)
    if result is not None and params.get("spend") is not None:
        result.trace["spend"] = params["spend"].record()
    record = _record(result, usage, params["messages"][1:])
    return shape.finish(completion, usage, record, result.sources if result is not None else [])


class _FusionDeltas:
    """Drops streamed tool-call deltas of ``fusion`` (by their index) and notes the others' ids."""

    def __init__(self) -> None:
        self.fusion: set[tuple[int, int]] = set()
        self.user_ids: list[str] = []

    def __call__(self, chunk: dict[str, Any]) -> dict[str, Any] | None:
        """``chunk`` (changed in place) without fusion's deltas; None when nothing is left of it."""
        if not any((c.get("delta") or {}).get("tool_calls") for c in chat.choices(chunk)):
            return chunk
        for choice in chunk["choices"]:
            delta = choice.get("delta") or {}
            kept = []
            for call in delta.get("tool_calls") or []:
                key = (choice.get("index"), call.get("index"))
                if chat.function_name(call) == "fusion":
                    self.fusion.add(key)
                if key in self.fusion:
                    continue
                if call.get("id"):
                    self.user_ids.append(call["id"])
                kept.append(call)
            if kept:
                delta["tool_calls"] = kept
            else:
                delta.pop("tool_calls", None)
        if all(not _said(c.get("delta")) and not c.get("finish_reason") for c in chunk["choices"]):
            return None
        return chunk

    def finish(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """A ``tool_calls`` finish with only fusion's calls dropped is an ordinary stop."""
        if self.fusion and not self.user_ids:
            for choice in chat.choices(chunk):
                if choice.get("finish_reason") == "tool_calls":
                    choice["finish_reason"] = "stop"
        return chunk


def _said(delta: dict[str, Any] | None) -> bool:
    """A delta that says something (a null field says nothing)."""
    return any(v is not None for v in (delta or {}).values())


async def stream(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The answer's chunks, then always one usage chunk with the summed usage and the fusion
    record; a front drops it when the caller did not ask for ``stream_options.include_usage``."""
    result, params, exchange, deadline = await _deliberate(plan, upstream, on_event, memory)
    usage = Usage(list(result.usage.calls) if result is not None else [])
    text = []
    deltas = _FusionDeltas()
    async for chunk in write_stream(upstream, params, usage, deadline=deadline, timeout=plan.config.writer_timeout):
        if chat.choices(chunk):
            kept = deltas(chunk)
            if kept is None:
                continue
            text.append((kept["choices"][0].get("delta") or {}).get("content") or "")
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
