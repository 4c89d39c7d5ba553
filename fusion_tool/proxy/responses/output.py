"""What a fused Responses request answers: the ``response`` object and its output items.

The output is the ``openrouter:fusion`` item of each fusion run (see ``fusion_item``), then the
answer's ``message`` item (``output_text`` with ``url_citation`` annotations for the URLs a
panelist retrieved) and a ``function_call`` item per call of the caller's own tools. ``usage``
is summed over every inner call (``input_tokens``, ``output_tokens``, ``total_tokens``,
``cost``); the fusion record rides along as ``response.fusion``, as ``completion.fusion`` does
in Chat Completions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from fusion_tool.core import chat
from fusion_tool.modes.citations import annotate


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def response(body: dict[str, Any], response_id: str, created: int, *, status: str,
             output: list[dict[str, Any]] | None = None, usage: dict[str, Any] | None = None,
             error: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``response`` object for ``body``: what was asked, echoed, and what came of it."""
    text = body.get("text") or {}
    reasoning = body.get("reasoning") or {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"],
        "output": output or [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": None},
        "store": False,  # fusion-tool stores no response, whatever the request said
        "temperature": body.get("temperature"),
        "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity")},
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p"),
        "truncation": "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def created_now() -> int:
    return int(time.time())


def usage(summed: dict[str, Any] | None) -> dict[str, Any] | None:
    """A chat ``usage`` (summed over every inner call by the modes) in Responses terms."""
    if summed is None:
        return None
    data = summed
    return {
        "input_tokens": data.get("prompt_tokens") or 0,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": data.get("completion_tokens") or 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": data.get("total_tokens") or 0,
        "cost": data.get("cost"),
    }


def citations(text: str, sources: Sequence[Any]) -> list[dict[str, Any]]:
    """``url_citation`` annotations (the Responses API's flat form) for the URLs ``text``
    cites that a panelist retrieved; any other URL is not annotated."""
    found, _unverified = annotate(text, sources)
    return [flat(a) for a in found]


def flat(annotation: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions annotation (``{"type", "url_citation": {...}}``) in Responses form."""
    inner = annotation.get("url_citation")
    return {"type": "url_citation", **inner} if isinstance(inner, dict) else annotation


def message(item_id: str, text: str, annotations: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    return {"type": "message", "id": item_id, "status": status, "role": "assistant",
            "content": [text_part(text, annotations)]}


def text_part(text: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": annotations, "logprobs": []}


def function_call(item_id: str, call_id: str, name: str, arguments: str, status: str = "completed") -> dict[str, Any]:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments,
            "status": status}


def answer_items(completion: dict[str, Any]) -> list[dict[str, Any]]:
    """The message and function-call items of a whole (non-streamed) fused answer."""
    reply = chat.message(completion)
    if reply is None:
        return []
    calls = reply.get("tool_calls") or []
    text = chat.content(completion) or ""
    items = []
    if text or not calls:
        items.append(message(new_id("msg"), text, [flat(a) for a in reply.get("annotations") or []]))
    for call in calls:
        function = call.get("function") or {}
        items.append(function_call(new_id("fc"), call.get("id") or "", function.get("name") or "",
                                   function.get("arguments") or ""))
    return items


def finished_status(finish_reason: str | None) -> str:
    return "incomplete" if finish_reason == "length" else "completed"
