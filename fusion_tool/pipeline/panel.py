"""The panel: every panelist answers in parallel, each in a small tool loop of its own.

A panelist that fails or times out is recorded, never fatal. With a straggler grace, once more
than half of the panel has answered the rest get that many seconds before they count as failed.
Under a deadline (``stop_at``), the panelists still out when it comes count as failed too, and
what answered goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fusion_tool.core import chat
from fusion_tool.core.config import FusionConfig
from fusion_tool.core.errors import BudgetSkipped, UpstreamError
from fusion_tool.core.events import Emitter
from fusion_tool.core.transcript import assistant_turn, text_of
from fusion_tool.core.usage import Call, total_cost
from fusion_tool.pipeline import prompts
from fusion_tool.pipeline.spend import WRAP_UP_MIN_TOKENS, Spend
from fusion_tool.provider.upstream import Upstream


class Tools(Protocol):
    """What a panelist may call (see ``fusion_tool.pipeline.research.Research``)."""

    def definitions(self) -> list[dict[str, Any]]: ...

    async def call(self, name: str, arguments: str) -> str: ...

    @property
    def sources(self) -> list[Any]: ...


ToolsFactory = Callable[[], Tools | None]


@dataclass
class Seat:
    """One panelist's outcome.

    Attributes:
        index: The seat's position in the panel (a model may sit twice).
        model: The panelist's model.
        content: Its answer; None when it failed.
        error: Why it failed, when it did.
        status_code: The provider's HTTP status for the failure, when there was one.
        calls: Its calls (research tool rounds included).
        sources: What its research tools showed or read.
        seconds: Wall time of its whole turn.
        late: It was still out when the panel stage's deadline came, and was stopped.
        skipped: Its first call was not started: it did not fit the fused call's ``max_cost``.
    """

    index: int
    model: str
    content: str | None = None
    error: str | None = None
    status_code: int | None = None
    calls: list[Call] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    late: bool = False
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.content is not None

    def failure(self) -> dict[str, Any]:
        return {"model": self.model, "error": self.error or "unknown error", "status_code": self.status_code}


def _panel_params(config: FusionConfig) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if config.temperature is not None:
        params["temperature"] = config.temperature
    if config.max_completion_tokens is not None:
        params["max_completion_tokens"] = config.max_completion_tokens
    return params


async def _answer(
    seat: Seat, prompt: str, upstream: Upstream, config: FusionConfig, tools: Tools | None, emit: Emitter,
    spend: Spend | None = None,
) -> None:
    definitions = tools.definitions() if tools is not None else []
    hint = prompts.PANELIST_TOOLS.format(n=config.max_tool_calls) if definitions else ""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": prompts.PANELIST.format(tools=hint)},
        {"role": "user", "content": prompt},
    ]
    used = 0
    while True:
        params = _panel_params(config)
        wrap_up = False
        if definitions:
            near = spend is not None and spend.wrap_up_due({"model": seat.model, "messages": messages,
                                                            "tools": definitions, **params})
            if used < config.max_tool_calls and not near:
                params["tools"] = definitions
            elif used or not near:  # the first round under a near ceiling just goes without tools
                wrap_up = True
                if near and spend is not None:
                    spend.wrapped_up.append(seat.model)
                messages.append({"role": "user", "content": prompts.PANELIST_WRAP_UP})
        completion, call = await upstream.complete(
            "panel", model=seat.model, messages=messages, timeout=config.panel_timeout, spend=spend,
            shrink_to=WRAP_UP_MIN_TOKENS if wrap_up and seat.calls else None, **params
        )
        seat.calls.append(call)
        message = chat.message(completion)
        if message is None:
            raise UpstreamError("empty response (no choices)", model=seat.model)
        calls = message.get("tool_calls")
        if not calls or "tools" not in params:
            content = text_of(message.get("content"))
            if not content.strip():
                raise UpstreamError("empty answer", model=seat.model)
            seat.content = content
            return
        messages.append(assistant_turn(message.get("content"), calls))
        for tool_call in calls:
            used += 1
            function = tool_call.get("function") or {}
            emit("panelist_tool", seat.model, seat.index, tool=function.get("name"))
            result = await tools.call(function.get("name"), function.get("arguments"))  # type: ignore[union-attr]
            messages.append({"role": "tool", "tool_call_id": tool_call.get("id"), "content": result})


async def _run_seat(
    seat: Seat, prompt: str, upstream: Upstream, config: FusionConfig, tools_factory: ToolsFactory | None, emit: Emitter,
    spend: Spend | None = None,
) -> Seat:
    emit("panelist_start", seat.model, seat.index)
    started = time.monotonic()
    tools = tools_factory() if tools_factory is not None else None
    try:
        async with asyncio.timeout(config.panel_timeout):
            await _answer(seat, prompt, upstream, config, tools, emit, spend)
    except TimeoutError:
        seat.error = f"timed out after {config.panel_timeout:g} s"
    except UpstreamError as exc:
        seat.error, seat.status_code = str(exc), exc.status_code
        seat.skipped = isinstance(exc, BudgetSkipped) and not seat.calls
    except asyncio.CancelledError:
        seat.error = "cancelled"
        raise
    except Exception as exc:  # a panelist's bug or odd reply must not sink the panel
        seat.error = upstream.scrub(f"{type(exc).__name__}: {exc}")
    finally:
        seat.seconds = time.monotonic() - started
        seat.sources = list(tools.sources) if tools is not None else []
    tokens = sum(c.total_tokens for c in seat.calls)
    cost = total_cost(c.cost for c in seat.calls)
    if seat.ok:
        emit("panelist_done", seat.model, seat.index, seconds=round(seat.seconds, 3), tokens=tokens, cost=cost,
             content=seat.content, sources=list(seat.sources))
    else:
        emit("panelist_failed", seat.model, seat.index, seconds=round(seat.seconds, 3), error=seat.error,
             status_code=seat.status_code, tokens=tokens, cost=cost)
    return seat


async def run_panel(
    prompt: str,
    upstream: Upstream,
    config: FusionConfig,
    emit: Emitter,
    tools_factory: ToolsFactory | None = None,
    *,
    stop_at: float | None = None,
    seats: list[Seat] | None = None,
    spend: Spend | None = None,
) -> list[Seat]:
    """Run every panelist in parallel; return every seat, answered or failed, in panel order.

    ``stop_at`` (a ``time.monotonic()`` instant) ends the stage: the panelists still out are
    stopped and marked ``late``; the seats that answered stand. ``seats``: these seats instead of
    the whole panel (the scouts, or the rest after them). ``spend``: every call reserves its
    worst case there first (``pipeline.spend``); a seat whose first call does not fit is
    ``skipped``, and one still running when the ceiling is near is asked to wrap up.
    """
    started = time.monotonic()
    seats = seats if seats is not None else [Seat(i, model) for i, model in enumerate(config.panel_models)]
    tasks = {
        asyncio.create_task(_run_seat(seat, prompt, upstream, config, tools_factory, emit, spend)): seat
        for seat in seats
    }
    pending = set(tasks)
    grace_ends: float | None = None
    late = False
    try:
        while pending:
            ends = min((t for t in (grace_ends, stop_at) if t is not None), default=None)
            timeout = None if ends is None else max(0.0, ends - time.monotonic())
            done, pending = await asyncio.wait(pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:  # the grace or the stage ran out
                late = grace_ends is None or (stop_at is not None and stop_at < grace_ends)
                break
            answered = sum(1 for s in seats if s.ok)
            if grace_ends is None and config.straggler_grace is not None and answered * 2 > len(seats):
                grace_ends = time.monotonic() + config.straggler_grace
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    for task in pending:
        seat = tasks[task]
        seat.late = late
        if late:
            seat.error = (f"deadline: no answer within the panel's {stop_at - started:.3g} s "  # type: ignore[operator]
                          f"of the {config.deadline:g} s deadline")
        else:
            seat.error = f"straggler: no answer within the {config.straggler_grace:g} s grace"
        emit("panelist_failed", seat.model, seat.index, seconds=round(seat.seconds, 3), error=seat.error)
    return seats

