"""The pipeline: panel → judge → tool result. Every front calls this and nothing else does fusion."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

import openai

from fusion_tool.core import telemetry
from fusion_tool.core.config import DEADLINE_JUDGE_SHARE, DEADLINE_WRITER_SHARE, FusionConfig
from fusion_tool.core.errors import UpstreamError
from fusion_tool.core.events import Emitter, Listener
from fusion_tool.core.usage import Usage, total_cost
from fusion_tool.pipeline import judge as judging
from fusion_tool.pipeline import prompts, reuse
from fusion_tool.pipeline.panel import Seat, ToolsFactory, run_panel
from fusion_tool.pipeline.reuse import ResultStore
from fusion_tool.pipeline.spend import DEFAULT_WORST_COMPLETION_TOKENS, Prices, Spend, cheapest
from fusion_tool.provider.upstream import Upstream


@dataclass
class FusionResult:
    """What one fusion run found. :meth:`tool_result` is the JSON the calling model reads.

    Attributes:
        status: ``ok``, or ``error`` when no panelist answered (or none in time).
        responses: The answers, ``{"model", "content"}`` each, in seat order.
        failed_models: The panelists that failed, ``{"model", "error", "status_code"}`` each.
        analysis: The judge's analysis (consensus, contradictions, partial coverage, unique
            insights, blind spots); None when the judge failed or the run did.
        error: What went wrong, when ``status`` is ``error``.
        failure_reason: Why, as a code: ``all_panels_failed``, ``deadline_exceeded``...
        usage: Every inner call of the run, and their sums.
        sources: What the answering panelists' research tools showed or read, for citations.
        trace: How the run went: the judge's model, structured-output form and error, the
            panel's seconds; ``spend`` (reserved, spent, skipped: ``pipeline.spend``), ``scout``
            (``escalated`` and why) and ``reused``.
        reused: The result of an earlier identical call, within ``reuse_ttl``; no panel ran.
    """

    status: str
    responses: list[dict[str, str]] = field(default_factory=list)
    failed_models: list[dict[str, Any]] = field(default_factory=list)
    analysis: dict[str, Any] | None = None
    error: str | None = None
    failure_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    sources: list[Any] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    def tool_result(self) -> dict[str, Any]:
        if self.status != "ok":
            out: dict[str, Any] = {"status": "error", "error": self.error or "fusion failed",
                                   "failure_reason": self.failure_reason or "all_panels_failed"}
            if self.failed_models:
                out["failed_models"] = self.failed_models
            return out
        out = {"status": "ok"}
        if self.analysis is not None:
            out["analysis"] = self.analysis
        out["responses"] = self.responses
        out["failed_models"] = self.failed_models
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**self.tool_result(), "usage": self.usage.to_dict(), "trace": self.trace}

    def to_store(self) -> dict[str, Any]:
        """Everything a reused result needs, as JSON (see ``pipeline.reuse``)."""
        return {"status": self.status, "responses": self.responses, "failed_models": self.failed_models,
                "analysis": self.analysis, "error": self.error, "failure_reason": self.failure_reason,
                "usage": [c.to_dict() for c in self.usage.calls], "sources": _plain(self.sources),
                "trace": self.trace}

    @classmethod
    def from_store(cls, value: dict[str, Any]) -> FusionResult:
        """The earlier result, marked ``reused``: its calls are kept in ``trace.reused_calls``,
        and its usage is empty (nothing was spent on it this time)."""
        trace = {**value.get("trace", {}), "reused": True, "reused_calls": value.get("usage", [])}
        return cls(status=value["status"], responses=value.get("responses", []),
                   failed_models=value.get("failed_models", []), analysis=value.get("analysis"),
                   error=value.get("error"), failure_reason=value.get("failure_reason"),
                   sources=value.get("sources", []), trace=trace, reused=True)

    @classmethod
    def failed(cls, reason: str, error: str, **kw: Any) -> FusionResult:
        return cls(status="error", failure_reason=reason, error=error, **kw)


@telemetry.traced_run  # the `fusion` span (see core.telemetry)
async def run(
    prompt: str,
    upstream: Upstream,
    config: FusionConfig,
    *,
    calling_model: str | None = None,
    on_event: Listener | None = None,
    tools_factory: ToolsFactory | None = None,
    spend: Spend | None = None,
    store: ResultStore | None = None,
) -> FusionResult:
    """Panel, then judge, within ``config.deadline``. Never raises for a provider's failure.

    Spend (``pipeline.spend``): under ``config.max_cost`` every call reserves its worst case
    first in ``spend`` (made here unless the caller, whose writer spends too, hands its own),
    and the judge's worst case is held from the start. ``strategy="scout"``: the scouts and the
    judge first; the rest of the panel only when the judge finds them disagreeing. With
    ``config.reuse_ttl``, an identical call within it gets the earlier result from ``store``
    (``pipeline.reuse``; this process's by default), marked ``reused``.

    The deadline is shared out: the panel stage ends at ``1 - DEADLINE_JUDGE_SHARE -
    DEADLINE_WRITER_SHARE`` of it (the panelists still out then are in ``failed_models``), the
    judge has until ``1 - DEADLINE_WRITER_SHARE`` of it and at most ``config.judge_timeout``,
    and the rest is the writer's (alias mode). A judge that fails or runs out of time leaves the
    analysis out; the answers stand.
    """
    emit = Emitter(on_event)
    started = time.monotonic()
    panel_by, judge_by = stage_ends(started, config.deadline)
    reuse_key = reuse.key(prompt, config, calling_model) if config.reuse_ttl > 0 else None
    if reuse_key is not None and (earlier := await reuse.recall(reuse_key, store)) is not None:
        return FusionResult.from_store(earlier)
    spend = spend if spend is not None else await open_spend(config, upstream)
    model = config.judge_model(calling_model)
    scouts, rest = plan_seats(config, spend.prices)
    if spend.limited:
        spend.hold("judge", judge_worst(prompt, config, model, len(scouts) + len(rest) or len(config.panel_models),
                                        spend))
    usage = Usage()
    trace: dict[str, Any] = {}
    if scouts:
        seats = await run_panel(prompt, upstream, config, emit, tools_factory, stop_at=panel_by, seats=scouts,
                                spend=spend)
        answered = [s for s in seats if s.ok]
        agree, why, verdict = False, "no scout answered", None
        if answered:
            verdict = await _judge(prompt, answered, upstream, config, model, judge_by, emit, usage, spend, hold=None)
            agree, why = scouts_agree(verdict, len(answered), len(scouts))
        trace["scout"] = {"scouts": [s.model for s in scouts], "escalated": not agree, "why": why}
        if not agree:
            seats += await run_panel(prompt, upstream, config, emit, tools_factory, stop_at=panel_by, seats=rest,
                                     spend=spend)
    else:
        seats = await run_panel(prompt, upstream, config, emit, tools_factory, stop_at=panel_by, spend=spend)
    for seat in seats:
        for call in seat.calls:
            usage.calls.insert(len([c for c in usage.calls if c.stage == "panel"]), call)
    answered = [s for s in seats if s.ok]
    failed = [s.failure() for s in seats if not s.ok]
    sources = [src for s in answered for src in s.sources]
    trace["spend"] = spend.record()
    if not answered and seats and all(s.skipped for s in seats):
        return FusionResult.failed("budget_exceeded", f"not even one panelist fits max_cost ${config.max_cost:g}",
                                   failed_models=failed, usage=usage, trace=trace)
    if not answered and any(s.late for s in seats):
        return FusionResult.failed("deadline_exceeded", f"no panel answer within the panel's share of the "
                                   f"{config.deadline:g} s deadline", failed_models=failed, usage=usage, trace=trace)
    if not answered:
        return FusionResult.failed("all_panels_failed", "every panel model failed", failed_models=failed, usage=usage,
                                   trace=trace)
    result = FusionResult(
        status="ok",
        responses=[{"model": s.model, "content": s.content or ""} for s in answered],
        failed_models=failed,
        usage=usage,
        sources=sources,
    )
    judge_started = time.monotonic()
    if scouts and trace["scout"]["escalated"] is False:
        spend.release("judge")  # the scouts' analysis is the result: no second judge
    else:
        verdict = await _judge(prompt, answered, upstream, config, model, judge_by, emit, usage, spend, hold="judge")
    result.analysis = verdict.analysis if verdict is not None else None
    result.trace = {"judge": {"model": model, "mode": verdict.mode if verdict else None,
                              "error": verdict.error if verdict else None},
                    "panel_seconds": round(judge_started - started, 3), **trace, "spend": spend.record()}
    if reuse_key is not None and result.status == "ok":
        await reuse.keep(reuse_key, result.to_store(), config.reuse_ttl, store)
    return result


async def _judge(
    prompt: str, answered: list[Seat], upstream: Upstream, config: FusionConfig, model: str, judge_by: float,
    emit: Emitter, usage: Usage, spend: Spend, *, hold: str | None,
) -> judging.Verdict:
    """The judge on ``answered``, within its share of the deadline; its calls go into ``usage``."""
    emit("judge_start", model)
    judge_started = time.monotonic()
    judge_by = min(judge_by, judge_started + config.judge_timeout)
    verdict = judging.Verdict(analysis=None)
    try:
        async with asyncio.timeout(max(0.0, judge_by - judge_started)):
            await judging.judge(prompt, answered, upstream, model, max_completion_tokens=config.max_completion_tokens,
                                deadline=judge_by, verdict=verdict, spend=spend if spend.limited else None, hold=hold)
    except UpstreamError as exc:
        verdict.error = f"judge failed: {exc}"
    except TimeoutError:
        verdict.error = f"judge timed out after {judge_by - judge_started:.3g} s"
    if verdict.error is not None:
        verdict.analysis, verdict.error = None, upstream.scrub(verdict.error)  # it may quote the judge's reply
    for call in verdict.calls:
        usage.add(call)
    seconds = round(time.monotonic() - judge_started, 3)
    if verdict.analysis is None:
        emit("judge_failed", model, error=verdict.error, seconds=seconds)
    else:
        emit("judge_done", model, seconds=seconds, tokens=sum(c.total_tokens for c in verdict.calls),
             cost=total_cost(c.cost for c in verdict.calls), analysis=verdict.analysis)
    return verdict


async def open_spend(config: FusionConfig, upstream: Upstream) -> Spend:
    """The ledger of one fused call: ``config.max_cost`` and the prices (the provider's model
    list is read, once per client, only when a ceiling or the scouts need prices)."""
    published = await upstream.published_prices() if config.max_cost is not None or config.strategy == "scout" else {}
    return Spend(max_cost=config.max_cost, prices=Prices(published, config.prices))


def plan_seats(config: FusionConfig, prices: Prices) -> tuple[list[Seat], list[Seat]]:
    """The scouts and the rest of the panel (``strategy="scout"``), or ``([], [])`` for the whole
    panel at once. Scouts that sit on the panel take their seats there (no answer is paid for
    twice); ``scout_models`` off the panel sit after it."""
    if config.strategy != "scout":
        return [], []
    panel = list(config.panel_models)
    wanted = list(config.scout_models) or cheapest(panel, prices, 2)
    seats = [Seat(i, m) for i, m in enumerate(panel)]
    scouts: list[Seat] = []
    for model in wanted:
        seat = next((s for s in seats if s.model == model and s not in scouts), None)
        scouts.append(seat if seat is not None else Seat(len(panel) + len(scouts), model))
    return scouts, [s for s in seats if s not in scouts]


def scouts_agree(verdict: judging.Verdict, answered: int, scouts: int) -> tuple[bool, str]:
    """Whether the scouts' result stands, and why (or why not)."""
    if answered < min(2, scouts):
        return False, f"only {answered} of {scouts} scouts answered"
    if verdict.analysis is None:
        return False, f"the judge gave no analysis of the scouts ({verdict.error})"
    contradictions = verdict.analysis.get("contradictions") or []
    blind = verdict.analysis.get("blind_spots") or []
    if contradictions:
        return False, f"{len(contradictions)} contradiction(s): " + "; ".join(c["topic"] for c in contradictions)
    if blind:
        return False, f"{len(blind)} blind spot(s): " + "; ".join(blind)
    return True, "the scouts agree: no contradictions, no blind spots"


def judge_worst(prompt: str, config: FusionConfig, model: str, seats: int, spend: Spend) -> float | None:
    """The judge's worst case before any answer exists: its prompt with every seat's answer at
    its cap, and its own cap."""
    cap = config.max_completion_tokens or DEFAULT_WORST_COMPLETION_TOKENS
    filler = [{"role": "user", "content": "x " * cap} for _ in range(seats)]
    messages = [{"role": "system", "content": prompts.JUDGE}, {"role": "user", "content": prompt}, *filler]
    return spend.worst(model, {"messages": messages, "max_completion_tokens": cap})


def writer_worst(messages: list[dict[str, Any]], config: FusionConfig, params: dict[str, Any],
                 spend: Spend) -> float | None:
    """The writer's worst case (alias mode) before the run: the transcript, every seat's answer
    and the analysis at their caps, and the writer's own cap."""
    cap = config.max_completion_tokens or DEFAULT_WORST_COMPLETION_TOKENS
    own = params.get("max_completion_tokens") or params.get("max_tokens") or DEFAULT_WORST_COMPLETION_TOKENS
    seats = len(config.panel_models) + len(config.scout_models) + 1
    filler = [{"role": "tool", "content": "x " * cap} for _ in range(seats)]
    writer = [{"role": "system", "content": prompts.WRITER}, *messages, *filler]
    return spend.worst(config.judge_model(), {"messages": writer, "tools": params.get("tools"),
                                              "max_completion_tokens": own})


def _plain(sources: list[Any]) -> list[Any]:
    return [asdict(s) if is_dataclass(s) and not isinstance(s, type) else s for s in sources]


def stage_ends(started: float, deadline: float) -> tuple[float, float]:
    """When the panel stage and the judge must be done, for a run started at ``started``
    (``time.monotonic()``) under a ``deadline`` of that many seconds; the writer has the rest."""
    return (started + deadline * (1 - DEADLINE_JUDGE_SHARE - DEADLINE_WRITER_SHARE),
            started + deadline * (1 - DEADLINE_WRITER_SHARE))


async def fuse(
    question: str,
    *,
    config: FusionConfig | None = None,
    client: openai.AsyncOpenAI | openai.OpenAI | None = None,
    on_event: Listener | None = None,
) -> FusionResult:
    """Run the panel and the judge on ``question`` and return what they found.

    Without ``client`` one is made from ``config`` (``FusionConfig.from_env()`` by default).
    """
    config = config or FusionConfig.from_env()
    upstream = Upstream.for_config(config, client)
    try:
        return await run(question, upstream, config, on_event=on_event, tools_factory=tools_factory(config))
    finally:
        await upstream.aclose()


def tools_factory(config: FusionConfig, search: Any = None, fetcher: Any = None) -> ToolsFactory | None:
    """Each panelist's research tools (``web_search``, ``web_fetch``), or ``None`` when the
    config's ``tools`` is ``[]``. ``search`` / ``fetcher`` replace the configured ones."""
    if config.tools == ():
        return None
    from fusion_tool.pipeline.research import Research, ResearchConfig, SafeFetcher, search_provider_from_env

    research_config = ResearchConfig.from_tools(
        list(config.tools) if config.tools is not None else None, excluded_domains=list(config.excluded_domains)
    )
    search = search or search_provider_from_env(config.search)
    fetcher = fetcher or SafeFetcher()
    return lambda: Research(research_config, search=search, fetcher=fetcher)
