"""Shaping what fusion returns: a ``chat.completion`` and its chunks, as JSON objects (the
provider's own, amended; the front that returns SDK objects builds them once, from these).

The summed usage (tokens and ``cost`` over every inner call) replaces the last call's, and the
fusion record (analysis, responses, failures, per-call usage, trace) rides along as the extra
field ``fusion``: ``completion.fusion["calls"]`` is the per-call breakdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fusion_tool.core.usage import Usage
from fusion_tool.modes.citations import annotate
from fusion_tool.pipeline.fuse import FusionResult


def fusion_record(result: FusionResult | None, usage: Usage, **trace: Any) -> dict[str, Any]:
    record: dict[str, Any] = result.tool_result() if result is not None else {"status": "skipped"}
    record["calls"] = usage.to_dict()["calls"]
    record["trace"] = {**(result.trace if result is not None else {}), **trace}
    return record


def finish(
    completion: dict[str, Any], usage: Usage, record: dict[str, Any], sources: Sequence[Any] = ()
) -> dict[str, Any]:
    """``completion`` (changed in place) with the summed usage, the fusion record, and
    ``url_citation`` annotations for the URLs its answer cites that the panel retrieved."""
    completion["usage"] = usage.wire()
    for choice in completion.get("choices") or []:
        message = choice.get("message") or {}
        annotations, unverified = annotate(message.get("content") or "", sources)
        if annotations:
            message["annotations"] = [*(message.get("annotations") or []), *annotations]
        if unverified:
            record["trace"]["unverified_urls"] = unverified
    completion["fusion"] = record
    return completion


def stream_citations(text: str, record: dict[str, Any], sources: Sequence[Any]) -> None:
    """For a streamed answer: its annotations go in the fusion record of the closing chunk."""
    annotations, unverified = annotate(text, sources)
    record["annotations"] = annotations
    if unverified:
        record["trace"]["unverified_urls"] = unverified


def with_usage(chunk: dict[str, Any], usage: Usage, record: dict[str, Any]) -> dict[str, Any]:
    """The closing chunk: ``chunk``'s envelope with no choices, the summed usage and the fusion record."""
    return {**chunk, "choices": [], "usage": usage.wire(), "fusion": record}
