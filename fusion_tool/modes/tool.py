"""Tool mode: the calling model is offered a ``fusion`` function; its calls of it are run here.

The loop: gate → call the model (with ``fusion`` beside the user's own tools when the gate
says so) → run the pipeline for each ``fusion`` call and append the tool result → call again,
until the model answers or calls one of the user's tools, which goes back to the caller.
Guards: one fusion run per user turn (a further call gets ``fusion_invocation_capped``), no
fusion when the turn is only the caller's tool results, and the inner calls never see fusion.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core import chat
from fusion_tool.core.events import Listener
from fusion_tool.core.log import get_logger
from fusion_tool.core.schemas import fusion_function
from fusion_tool.core.transcript import as_dicts, assistant_turn
from fusion_tool.core.usage import Call, Usage
from fusion_tool.modes import shape
from fusion_tool.modes.gate import Decision, GateConfig, should_deliberate
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import Plan
from fusion_tool.pipeline.fuse import FusionResult, run, tools_factory
from fusion_tool.provider.upstream import Upstream

log = get_logger("fusion_tool.tool_mode")

MAX_ROUNDS = 6  # model calls per request; past it the last answer is returned, without fusion's calls
CAPPED = {
    "status": "error",
    "error": "fusion already ran for this turn; answer from its result",
    "failure_reason": "fusion_invocation_capped",
}
NOT_OFFERED = {
    "status": "error",
    "error": "fusion is not available for this request; answer directly",
    "failure_reason": "fusion_unavailable",
}


@dataclass
class Turn:
    """The state of one tool-mode request.

    Attributes:
        plan: The request's plan (mode ``tool``).
        messages: The conversation so far (continued from memory), with the rounds added.
        decision: The gate's decision on whether fusion is offered.
        usage: Every inner call of the request, the calling model's included.
        results: The fusion runs of this request.
        runs: Fusion runs in this user turn, counting earlier requests'.
        text: The answer's streamed text, for its citations.
    """

    plan: Plan
    messages: list[dict[str, Any]]
    decision: Decision
    usage: Usage = field(default_factory=Usage)
    results: list[FusionResult] = field(default_factory=list)
    runs: int = 0
    text: list[str] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        return self.decision.deliberate and self.runs == 0

    def request(self) -> dict[str, Any]:
        params = {k: v for k, v in self.plan.params.items() if k not in ("stream", "stream_options")}
        params["messages"] = self.messages
        user_tools = list(params.get("tools") or [])
        tools = [*user_tools, fusion_function()] if self.offered else user_tools
        if tools:
            params["tools"] = tools
        else:
            params.pop("tools", None)
            params.pop("tool_choice", None)
            params.pop("parallel_tool_calls", None)
        if self.plan.force and self.offered:
            params["tool_choice"] = {"type": "function", "function": {"name": "fusion"}}
        elif self.plan.force:  # fusion has run: the user's own tools are back to "auto"
            params.pop("tool_choice", None)
            if user_tools:
                params["tool_choice"] = "auto"
        return params

    @property
    def sources(self) -> list[Any]:
        return [source for result in self.results for source in result.sources]

    def record(self) -> dict[str, Any]:
        last = self.results[-1] if self.results else None
        # the whole transcript, fusion's exchange included, once fusion has run
        extra = {"messages": self.messages} if self.runs else {}
        return shape.fusion_record(last, self.usage, mode="tool", gate=self.decision.to_dict(), **extra)


def _fusion_runs_this_turn(messages: list[dict[str, Any]]) -> int:
    """Fusion results already in the transcript since the last user message."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    ids = {
        call.get("id")
        for m in messages[last_user + 1:] if m.get("role") == "assistant"
        for call in m.get("tool_calls") or [] if (call.get("function") or {}).get("name") == "fusion"
    }
    return sum(1 for m in messages[last_user + 1:] if m.get("role") == "tool" and m.get("tool_call_id") in ids)


async def start(plan: Plan, memory: Memory | None = None) -> Turn:
    messages = as_dicts(plan.params.get("messages") or [])
    if memory is not None:
        messages = await memory.splice(messages)
    gate = GateConfig(min_words=plan.config.min_words) if plan.config.min_words else None
    decision = should_deliberate(messages, config=gate, force=plan.force or plan.config.force)
    log.info("gate", deliberate=decision.deliberate, score=round(decision.score, 3), reasons=list(decision.reasons))
    return Turn(plan, messages, decision, runs=_fusion_runs_this_turn(messages))


def _prompt(arguments: str) -> str | None:
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return None
    prompt = value.get("prompt") if isinstance(value, dict) else None
    return prompt if isinstance(prompt, str) and prompt.strip() else None


async def _answer_calls(
    turn: Turn, calls: list[dict[str, Any]], upstream: Upstream, on_event: Listener | None, memory: Memory | None
) -> None:
    """Run (or cap) each fusion call and append its tool result to the transcript."""
    for call in calls:
        prompt = _prompt(call["function"]["arguments"])
        if not turn.decision.deliberate:
            result: dict[str, Any] = NOT_OFFERED
        elif turn.runs > 0:
            result = CAPPED
        elif prompt is None:
            result = {"status": "error", "error": "fusion needs a non-empty 'prompt' string",
                      "failure_reason": "invalid_arguments"}
        else:
            turn.runs += 1
            fused = await run(prompt, upstream, turn.plan.config, calling_model=turn.plan.params.get("model"),
                              on_event=on_event, tools_factory=tools_factory(turn.plan.config),
                              store=memory.store if memory is not None else None)  # reused results: shared
            turn.results.append(fused)
            turn.usage.extend(fused.usage)
            result = fused.tool_result()
        turn.messages.append({"role": "tool", "tool_call_id": call["id"],
                              "content": json.dumps(result, ensure_ascii=False)})


def _split(message: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    calls = message.get("tool_calls") or []
    fusion = [c for c in calls if chat.function_name(c) == "fusion"]
    return fusion, [c for c in calls if c not in fusion]


@dataclass
class Round:
    """One call of the calling model: what it said, and the caller's own tool calls in it.

    Attributes:
        message: the assistant message as a dict (content and every tool call).
        completion: the provider's completion (non-streaming rounds).
        last: the last chunk seen (streaming rounds), the template of the chunks we send.
        user_calls: the calls of the caller's own tools, which go back to the caller.
    """

    message: dict[str, Any] = field(default_factory=dict)
    completion: dict[str, Any] | None = None
    last: dict[str, Any] | None = None
    user_calls: list[dict[str, Any]] = field(default_factory=list)


Ask = Callable[[Turn, Upstream, float, Round], AsyncIterator[dict[str, Any]]]


async def _rounds(
    turn: Turn, upstream: Upstream, on_event: Listener | None, memory: Memory | None, ask: Ask
) -> AsyncIterator[dict[str, Any] | Round]:
    """The tool loop, streamed or not (``ask`` makes one model call): chunks to pass on as they
    come, then the last :class:`Round`. Fusion calls are run here; the caller's own calls end
    the loop, and the fusion exchange before them is kept for the caller's continuation."""
    first = len(turn.messages)
    deadline = time.monotonic() + turn.plan.config.deadline
    last = Round()
    for _ in range(MAX_ROUNDS):
        last = Round()
        async for chunk in ask(turn, upstream, deadline, last):
            yield chunk
        fusion_calls, user_calls = _split(last.message)
        if fusion_calls:
            turn.messages.append(assistant_turn(last.message.get("content"), last.message["tool_calls"]))
            await _answer_calls(turn, fusion_calls, upstream, on_event, memory)
        if user_calls:  # the caller answers its own tools; fusion's are answered in `messages`
            last.user_calls = user_calls
            ids = [c["id"] for c in user_calls]
            if memory is not None and turn.messages[first:]:
                await memory.keep(ids, _without_calls(turn.messages[first:], set(ids)))
            break
        if not fusion_calls:
            break
    yield last


async def _ask_whole(turn: Turn, upstream: Upstream, deadline: float, out: Round) -> AsyncIterator[dict[str, Any]]:
    completion, call = await upstream.complete("caller", deadline=deadline, **turn.request())
    turn.usage.add(call)
    out.completion = completion
    message = chat.message(completion)
    if message is not None:
        out.message = {k: v for k, v in message.items() if v is not None}
    return
    yield  # an async generator that sends no chunk


async def complete(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> dict[str, Any]:
    turn = await start(plan, memory)
    last = Round()
    async for item in _rounds(turn, upstream, on_event, memory, _ask_whole):
        if isinstance(item, Round):
            last = item
    completion = last.completion
    assert completion is not None
    if last.user_calls or chat.tool_calls(completion):  # at the round ceiling, fusion's calls are still there
        completion = _only_calls(completion, last.user_calls)
    return shape.finish(completion, turn.usage, turn.record(), turn.sources)


def _without_calls(exchange: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    """The exchange with the caller's own calls taken out of the assistant turns (they come
    back in the caller's own copy of the message)."""
    out = []
    for m in exchange:
        if m.get("role") == "assistant":
            m = {**m, "tool_calls": [c for c in m.get("tool_calls") or [] if c["id"] not in ids]}
            if not m["tool_calls"]:
                continue
        out.append(m)
    return out


def _only_calls(completion: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer with only the caller's own ``calls``: fusion's never leave (with none left, it stops)."""
    choice = completion["choices"][0]
    if calls:
        choice["message"]["tool_calls"] = calls
    else:  # none of the caller's: the calls there are fusion's (the round ceiling)
        del choice["message"]["tool_calls"]
        if choice.get("finish_reason") == "tool_calls":
            choice["finish_reason"] = "stop"
    return completion


async def _ask_streamed(
    turn: Turn, upstream: Upstream, deadline: float, out: Round
) -> AsyncIterator[dict[str, Any]]:
    """One streamed model call: content chunks as they come; tool-call deltas gathered."""
    params = {**turn.request(), "stream_options": {"include_usage": True}}
    gathered = _Gathered()
    said: list[str] = []  # this round's words: the caller has them, and so does the next round
    async for chunk in upstream.stream(deadline=deadline, **params):
        out.last = chunk
        if chunk.get("usage") is not None:
            gathered.usage = chunk["usage"]
        for choice in chat.choices(chunk):
            delta = choice.get("delta") or {}
            finish = choice.get("finish_reason")
            if delta.get("tool_calls"):
                gathered.add(delta["tool_calls"])
                continue
            if delta.get("content") or delta.get("role") or finish:
                if finish == "tool_calls" or (finish and gathered.calls):
                    continue  # the round's finish: the caller's calls get one of their own
                said.append(delta.get("content") or "")
                yield {**chunk, "usage": None}
    turn.text.extend(said)
    turn.usage.add(Call.from_usage("caller", params["model"], gathered.usage))
    out.message = {"role": "assistant", "content": "".join(said), "tool_calls": gathered.list()}


async def stream(
    plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Tool mode, streamed: each round's content streams as it comes; tool-call deltas are
    gathered, fusion's run here, the user's sent on; the closing chunk carries the summed usage."""
    turn = await start(plan, memory)
    # the envelope of the chunks fusion sends itself: the provider's last, else one of ours (a
    # provider that streamed nothing still gets the turn its closing chunk)
    template: dict[str, Any] = {"id": "chatcmpl-fusion", "object": "chat.completion.chunk",
                                "created": int(time.time()), "model": plan.params.get("model")}
    async for item in _rounds(turn, upstream, on_event, memory, _ask_streamed):
        if not isinstance(item, Round):
            template = item
            yield item
            continue
        template = item.last or template
        if item.user_calls:
            yield _calls_chunk(template, item.user_calls)
        elif item.message.get("tool_calls"):  # the round ceiling: fusion's calls stay here
            yield {**template, "usage": None, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    record = turn.record()
    shape.stream_citations("".join(turn.text), record, turn.sources)
    yield shape.with_usage(template, turn.usage, record)


class _Gathered:
    """Tool-call deltas put back together by their index."""

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, Any]] = {}
        self.usage: Any = None

    def add(self, deltas: list[dict[str, Any]]) -> None:
        for d in deltas:
            call = self.calls.setdefault(d.get("index"), {"id": "", "type": "function",
                                                          "function": {"name": "", "arguments": ""}})
            if d.get("id"):
                call["id"] = d["id"]
            function = d.get("function")
            if function:
                call["function"]["name"] += function.get("name") or ""
                call["function"]["arguments"] += function.get("arguments") or ""

    def list(self) -> list[dict[str, Any]]:
        return [self.calls[i] for i in sorted(self.calls)]


def _calls_chunk(template: dict[str, Any], calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {**template, "usage": None, "choices": [{
        "index": 0,
        "delta": {"role": "assistant", "tool_calls": [{**c, "index": i} for i, c in enumerate(calls)]},
        "finish_reason": "tool_calls",
    }]}
