"""A fused call bounded by its client's own timeout.

A client that gives up on a fused call and tries again pays for a new panel (the SDK retries a
timeout: there is no response to carry ``x-should-retry: false``). So the wrapped SDK client's
seam tells the app how long its client waits (:data:`CLIENT_TIMEOUT_HEADER`, the read timeout
the SDK set on the request), and the app answers in time: a whole answer is due within
:data:`CLIENT_TIMEOUT_SHARE` of it (the deadline never grows past the configuration's), and a
stream sends its keep-alives at least twice within it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from fusion_tool.modes.plan import Plan

CLIENT_TIMEOUT_HEADER = "x-fusion-client-timeout"
#: the share of the client's timeout a whole fused answer may take (the rest: the way back)
CLIENT_TIMEOUT_SHARE = 0.9


def client_timeout(headers: Mapping[str, str]) -> float | None:
    """The client's read timeout in seconds, if it sent one that reads as a positive number."""
    try:
        seconds = float(headers.get(CLIENT_TIMEOUT_HEADER, ""))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def within(plan: Plan, headers: Mapping[str, str], keepalive_seconds: float) -> tuple[Plan, float]:
    """``plan`` and the keep-alive interval, bounded by the client's timeout when it said one."""
    seconds = client_timeout(headers)
    if seconds is None:
        return plan, keepalive_seconds
    if plan.params.get("stream"):
        return plan, min(keepalive_seconds, seconds / 2)
    deadline = min(plan.config.deadline, seconds * CLIENT_TIMEOUT_SHARE)
    return replace(plan, config=plan.config.replace(deadline=deadline)), keepalive_seconds
