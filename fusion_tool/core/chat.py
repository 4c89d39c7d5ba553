"""Chat completions and their chunks as plain JSON: the few reads every layer makes of them.

Inner calls come back from the provider as the JSON it sent, parsed once (no SDK model per
call); the fronts send that JSON on, or build the SDK's own objects once, where they return
them. These reads tolerate what a provider may leave out (no ``choices``, a ``null`` message).
"""

from __future__ import annotations

from typing import Any

from fusion_tool.core.transcript import text_of


def choices(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``choices`` of a completion or chunk (``[]`` when absent or null)."""
    return data.get("choices") or []


def message(completion: dict[str, Any]) -> dict[str, Any] | None:
    """The first choice's ``message``, or None when there is none."""
    first = choices(completion)
    return (first[0].get("message") or None) if first else None


def content(completion: dict[str, Any]) -> str | None:
    """The first choice's text (its parts' text joined, where a provider sends parts), or None."""
    msg = message(completion)
    return None if msg is None or msg.get("content") is None else text_of(msg["content"])


def tool_calls(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The first choice's tool calls (``[]`` when there are none)."""
    msg = message(completion)
    return (msg.get("tool_calls") or []) if msg is not None else []


def finish_reason(completion: dict[str, Any]) -> str | None:
    first = choices(completion)
    return first[0].get("finish_reason") if first else None


def function_name(call: dict[str, Any]) -> str | None:
    """The name in a tool call or a tool-call delta (None when it carries none)."""
    return (call.get("function") or {}).get("name")
