"""The judge: reads the panel's answers, fenced and shuffled, and returns the five-part analysis.

Structured output is asked for in the strongest form the provider takes (the provider layer
knows and learns which: ``Upstream.complete_structured``). Invalid JSON gets one repair round; a judge that still cannot produce a valid analysis leaves it out, and the call goes on.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core import chat, fastschema, schemas
from fusion_tool.core.usage import Call
from fusion_tool.pipeline import prompts
from fusion_tool.pipeline.fence import Fenced, fence_all
from fusion_tool.pipeline.panel import Seat
from fusion_tool.provider.upstream import Upstream


@dataclass
class Verdict:
    """What the judge made of the panel's answers.

    Attributes:
        analysis: The analysis, valid against ``schemas/analysis.json`` and with the neutral
            labels mapped back to model names; None when the judge gave none.
        calls: The judge's calls (a repair round included).
        error: Why there is no analysis, when there is none.
        mode: The structured-output form the provider took (``json_schema``, ``json_object``,
            ``prompt``); None before the first call.
    """

    analysis: dict[str, Any] | None
    calls: list[Call] = field(default_factory=list)
    error: str | None = None
    mode: str | None = None


def build_prompt(
    question: str, seats: Sequence[Seat], rng: random.Random | None = None
) -> tuple[list[dict[str, str]], dict[str, str], Fenced]:
    """The judge's messages, the label → model map, and the fenced block (for audits).

    Answers are shuffled (position bias) and labelled neutrally ("Response 1" …).
    """
    order = list(seats)
    (rng or random.Random()).shuffle(order)
    labels = {f"Response {i}": seat.model for i, seat in enumerate(order, 1)}
    block = fence_all([({"label": label}, seat.content or "") for label, seat in zip(labels, order)], kind="RESPONSE")
    system = prompts.JUDGE.format(labels=", ".join(labels), note=block.note)
    user = prompts.JUDGE_USER.format(question=question, responses=block.text)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}], labels, block


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)


@functools.cache
def _analysis_ok() -> fastschema.Check:
    """Valid or not, fast (jsonschema, ~1 ms an analysis, only explains a failure)."""
    return fastschema.compile_schema(schemas.load("analysis"))


def parse(text: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The analysis in ``text`` if it is valid, else ``(None, what is wrong)``."""
    if not text or not text.strip():
        return None, "empty output"
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        return None, "no JSON object found"
    try:
        value = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at position {exc.pos})"
    if _analysis_ok()(value):
        return value, None
    errors = sorted(schemas.validator("analysis").iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "top level"
        return None, f"schema violation at {where}: {errors[0].message}"
    return value, None


def relabel(analysis: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """Replace neutral labels with model names (unknown names are kept as the judge wrote them)."""
    lookup = {k.lower(): v for k, v in labels.items()}

    def name(label: str) -> str:
        return lookup.get(label.strip().lower(), label)

    out = dict(analysis)
    out["contradictions"] = [
        {**c, "stances": [{**s, "model": name(s["model"])} for s in c["stances"]]} for c in analysis["contradictions"]
    ]
    out["partial_coverage"] = [{**p, "models": [name(m) for m in p["models"]]} for p in analysis["partial_coverage"]]
    out["unique_insights"] = [{**u, "model": name(u["model"])} for u in analysis["unique_insights"]]
    return out


async def judge(
    question: str,
    seats: Sequence[Seat],
    upstream: Upstream,
    model: str,
    *,
    max_completion_tokens: int | None = None,
    deadline: float | None = None,
    rng: random.Random | None = None,
    verdict: Verdict | None = None,
    spend: Any = None,
    hold: str | None = None,
) -> Verdict:
    """Ask ``model`` for the analysis of the answered seats. ``verdict``, when given, is filled
    in as the calls are made (and returned): a caller that stops the judge keeps its calls.
    ``spend`` / ``hold``: the calls reserve their worst case (``pipeline.spend``), the first one
    out of that hold; a repair round that does not fit is not made."""
    messages, labels, _ = build_prompt(question, [s for s in seats if s.ok], rng)
    verdict = verdict if verdict is not None else Verdict(analysis=None)
    extra: dict[str, Any] = {"temperature": 0}
    if max_completion_tokens is not None:
        extra["max_completion_tokens"] = max_completion_tokens
    if spend is not None:
        extra["spend"] = spend
    text = await _ask(verdict, upstream, model, messages, {**extra, "hold": hold}, deadline)
    analysis, problem = parse(text)
    if analysis is None:  # one repair round, with the model's own output and what is wrong
        repair = [*messages, {"role": "assistant", "content": text or ""},
                  {"role": "user", "content": prompts.REPAIR.format(problem=problem)}]
        text = await _ask(verdict, upstream, model, repair, extra, deadline)
        analysis, problem = parse(text)
    if analysis is None:
        verdict.error = problem
        return verdict
    verdict.analysis = relabel(analysis, labels)
    return verdict


async def _ask(
    verdict: Verdict, upstream: Upstream, model: str, messages: list[dict[str, Any]], extra: dict[str, Any],
    deadline: float | None,
) -> str | None:
    """One judge call, asking for the analysis schema in the form the provider takes."""
    completion, call, form = await upstream.complete_structured(
        "judge", schema=schemas.load("analysis"), schema_name="fusion_analysis", model=model, messages=messages,
        deadline=deadline, **extra)
    verdict.mode = form
    verdict.calls.append(call)
    return chat.content(completion)
