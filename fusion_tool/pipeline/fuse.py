"""The pipeline: panel → judge → tool result. Every front calls this and nothing else does fusion."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import openai

from fusion_tool.core import telemetry
from fusion_tool.core.config import DEADLINE_JUDGE_SHARE, DEADLINE_WRITER_SHARE, FusionConfig
from fusion_tool.core.errors import UpstreamError
from fusion_tool.core.events import Emitter, Listener
from fusion_tool.core.usage import Usage, total_cost
from fusion_tool.pipeline import judge as judging
from fusion_tool.pipeline.panel import ToolsFactory, run_panel
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
        trace: How the run went: the judge's model, structured-output form and error, and the
            panel's seconds.
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
) -> FusionResult:
    """Panel, then judge, within ``config.deadline``. Never raises for a provider's failure.

    The deadline is shared out: the panel stage ends at ``1 - DEADLINE_JUDGE_SHARE -
    DEADLINE_WRITER_SHARE`` of it (the panelists still out then are in ``failed_models``), the
    judge has until ``1 - DEADLINE_WRITER_SHARE`` of it and at most ``config.judge_timeout``,
    and the rest is the writer's (alias mode). A judge that fails or runs out of time leaves the
    analysis out; the answers stand.
    """
    emit = Emitter(on_event)
    started = time.monotonic()
    panel_by, judge_by = stage_ends(started, config.deadline)
    usage = Usage()
    seats = await run_panel(prompt, upstream, config, emit, tools_factory, stop_at=panel_by)
    for seat in seats:
        for call in seat.calls:
            usage.add(call)
    answered = [s for s in seats if s.ok]
    failed = [s.failure() for s in seats if not s.ok]
    sources = [src for s in answered for src in s.sources]
    if not answered and any(s.late for s in seats):
        return FusionResult.failed("deadline_exceeded", f"no panel answer within the panel's share of the "
                                   f"{config.deadline:g} s deadline", failed_models=failed, usage=usage)
    if not answered:
        return FusionResult.failed("all_panels_failed", "every panel model failed", failed_models=failed, usage=usage)
    result = FusionResult(
        status="ok",
        responses=[{"model": s.model, "content": s.content or ""} for s in answered],
        failed_models=failed,
        usage=usage,
        sources=sources,
    )
    model = config.judge_model(calling_model)
    emit("judge_start", model)
    judge_started = time.monotonic()
    judge_by = min(judge_by, judge_started + config.judge_timeout)
    verdict = judging.Verdict(analysis=None)
    try:
        async with asyncio.timeout(max(0.0, judge_by - judge_started)):
            await judging.judge(prompt, answered, upstream, model, max_completion_tokens=config.max_completion_tokens,
                                deadline=judge_by, verdict=verdict)
    except UpstreamError as exc:
        verdict.error = f"judge failed: {exc}"
    except TimeoutError:
        verdict.error = f"judge timed out after {judge_by - judge_started:.3g} s"
    if verdict.error is not None:
        verdict.analysis, verdict.error = None, upstream.scrub(verdict.error)  # it may quote the judge's reply
    for call in verdict.calls:
        usage.add(call)
    result.analysis = verdict.analysis
    result.trace = {"judge": {"model": model, "mode": verdict.mode, "error": verdict.error},
                    "panel_seconds": round(judge_started - started, 3)}
    seconds = round(time.monotonic() - judge_started, 3)
    if verdict.analysis is None:
        emit("judge_failed", model, error=verdict.error, seconds=seconds)
    else:
        emit("judge_done", model, seconds=seconds, tokens=sum(c.total_tokens for c in verdict.calls),
             cost=total_cost(c.cost for c in verdict.calls), analysis=verdict.analysis)
    return result


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
