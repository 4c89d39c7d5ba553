"""What every front calls: the one function that serves a planned fusion request.

``serve`` returns a coroutine (non-streaming) or an async iterator of chunks (streaming). A
streamed fusion answer always ends with a closing chunk (summed usage, the fusion record);
fronts pass it on only when the caller asked for ``stream_options.include_usage``.
"""

from __future__ import annotations

from typing import Any

from fusion_tool.core import telemetry
from fusion_tool.core.events import Listener
from fusion_tool.modes import alias, tool
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import Plan
from fusion_tool.provider.upstream import Upstream


def serve(plan: Plan, upstream: Upstream, on_event: Listener | None = None, memory: Memory | None = None) -> Any:
    """The coroutine or chunk iterator that serves ``plan`` (alias or tool mode): a
    ``chat.completion`` and its chunks as JSON objects, for the front to send or to build into
    the SDK's types."""
    streaming = bool(plan.params.get("stream"))
    mode = alias if plan.mode == "alias" else tool
    call = (mode.stream if streaming else mode.complete)(plan, upstream, on_event, memory)
    # alias mode's whole call is one `fusion` span (the writer's answer in it); tool mode's
    # fusion calls each get theirs from the pipeline
    return telemetry.fused(call, mode="alias") if plan.mode == "alias" else call


def include_usage(plan: Plan) -> bool:
    """Whether the caller asked for the closing usage chunk."""
    return bool((plan.params.get("stream_options") or {}).get("include_usage"))


def is_closing(chunk: dict[str, Any]) -> bool:
    """The closing chunk a fused stream ends with."""
    return not chunk.get("choices") and chunk.get("fusion") is not None
