"""The ``openrouter:fusion`` output item of each fusion run, followed through the pipeline's
progress events, and the ``response.fusion_call.*`` events that tell a streaming client.

A run opens at its first ``panelist_start`` and closes when the judge is done (or failed); a
run whose panel all failed has no judge, and closes when anything else comes next (or the
response ends). The item then says ``{"type": "openrouter:fusion", "id", "status",
"responses", "analysis", "sources", "failed_models", "error", "failure_reason"}``; the fusion
record, where there is one, has the last word on the last run.

``response.fusion_call.panel.failed`` says ``{model, message, status_code}``: not ``error``,
because the openai SDK ends any stream whose event has a truthy top-level ``error`` with an
``APIError``, and one panelist's failure must not end the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core.events import Event
from fusion_tool.proxy.responses.request import FUSION_ITEM_TYPE

Out = list[tuple[str, dict[str, Any]]]  # (event type, its fields but the sequence number)


@dataclass
class Run:
    """One fusion run, as far as it has gone.

    Attributes:
        item_id: The output item's id.
        output_index: Its place in the response's output.
        status: ``in_progress``, ``completed`` or ``failed``.
        responses: The answers by seat, ``{"model", "content"}`` each.
        failed: The failures by seat, ``{"model", "error", "status_code"}`` each.
        sources: What the answering panelists retrieved, by URL.
        analysis: The judge's analysis, once it is done.
        error: What went wrong (the run, or the judge).
        failure_reason: Why the run failed, as a code.
        started: Panelists started.
        judging: The judge has started.
    """

    item_id: str
    output_index: int
    status: str = "in_progress"
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)
    failed: dict[int, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] | None = None
    error: str | None = None
    failure_reason: str | None = None
    started: int = 0
    judging: bool = False

    @property
    def where(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "output_index": self.output_index}

    def item(self) -> dict[str, Any]:
        return {
            "type": FUSION_ITEM_TYPE,
            "id": self.item_id,
            "status": self.status,
            "responses": [self.responses[i] for i in sorted(self.responses)],
            "analysis": self.analysis,
            "sources": [{"url": s.url, "title": s.title or s.url} for s in self.sources.values()],
            "failed_models": [self.failed[i] for i in sorted(self.failed)],
            "error": self.error,
            "failure_reason": self.failure_reason,
            # the openai SDK reads an item type it does not know as a message: an empty content
            # keeps code that walks every message's content (the Agents SDK does) from failing
            "content": [],
        }

    def settle(self, record: dict[str, Any] | None) -> None:
        """Its final status: the fusion record's when there is one, else what the events say."""
        if record is not None and record.get("status") in ("ok", "error"):
            self.status = "completed" if record["status"] == "ok" else "failed"
            self.responses = dict(enumerate(record.get("responses") or [])) or self.responses
            self.failed = dict(enumerate(record.get("failed_models") or [])) or self.failed
            self.analysis = record.get("analysis", self.analysis)
            if record["status"] == "error":
                self.error, self.failure_reason = record.get("error"), record.get("failure_reason")
        elif self.responses:
            self.status = "completed"
        else:
            late = self.started > len(self.failed)
            self.status = "failed"
            self.failure_reason = "deadline_exceeded" if late else "all_panels_failed"
            self.error = "no panel answer in time" if late else "every panel model failed"


class FusionRuns:
    """The fusion runs of one response; ``open_index`` hands out the next output index."""

    def __init__(self, open_index: Callable[[], int], new_id: Callable[[], str]) -> None:
        self.runs: list[Run] = []
        self._open_index = open_index
        self._new_id = new_id

    @property
    def open(self) -> Run | None:
        run = self.runs[-1] if self.runs else None
        return run if run is not None and run.status == "in_progress" else None

    def on_event(self, event: Event) -> Out:
        kind, data, seat = event.kind, event.data, event.index if event.index is not None else 0
        run = self.open
        if kind == "panelist_start":
            out: Out = []
            if run is None or run.judging:
                out += self.close()
                run = Run(self._new_id(), self._open_index())
                self.runs.append(run)
                out += [("response.output_item.added", {"output_index": run.output_index, "item": run.item()}),
                        ("response.fusion_call.in_progress", run.where)]
            run.started += 1
            return [*out, ("response.fusion_call.panel.added", {**run.where, "model": event.model})]
        if run is None:
            return []
        if kind == "panelist_done":
            content = data.get("content") or ""
            run.responses[seat] = {"model": event.model, "content": content}
            for source in data.get("sources") or []:
                run.sources.setdefault(source.url, source)
            return [("response.fusion_call.panel.completed", {**run.where, "model": event.model, "content": content})]
        if kind == "panelist_failed":
            error, status = data.get("error") or "failed", data.get("status_code")
            run.failed[seat] = {"model": event.model, "error": error, "status_code": status}
            return [("response.fusion_call.panel.failed",
                     {**run.where, "model": event.model, "message": error, "status_code": status})]
        if kind == "judge_start":
            run.judging = True
            return [("response.fusion_call.analysis.in_progress", run.where)]
        if kind in ("judge_done", "judge_failed"):
            run.analysis = data.get("analysis") if kind == "judge_done" else None
            if kind == "judge_failed":
                run.error = data.get("error")
            return [("response.fusion_call.analysis.completed", {**run.where, "analysis": run.analysis}),
                    *self.close()]
        return []

    def close(self, record: dict[str, Any] | None = None) -> Out:
        """Close the open run, if any (``record``: the fusion record, at the end)."""
        run = self.open
        if run is None:
            return []
        run.settle(record)
        return [("response.fusion_call.completed", run.where),
                ("response.output_item.done", {"output_index": run.output_index, "item": run.item()})]

    def items(self) -> list[dict[str, Any]]:
        return [run.item() for run in self.runs]

    @property
    def sources(self) -> list[Any]:
        return [source for run in self.runs for source in run.sources.values()]
