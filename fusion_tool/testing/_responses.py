"""The OpenAI Responses wire format, for the scripted provider: pure functions, no I/O.

A `POST /responses` request is read as a chat transcript, so the same behaviours serve both
APIs (`request_messages`: `instructions` as a system message, `input` as user, assistant and
tool messages); a `Reply` is answered as a `response` object (`response_body`) or as the
standard stream of typed events (`stream_events`: `response.created`, `response.in_progress`,
one message item with its `output_text` deltas, one `function_call` item per tool call with
its argument deltas, `response.completed`), each sent as `event: <type>` + `data: <json>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fusion_tool.testing._replies import Reply, ScriptedRequest
from fusion_tool.testing._wire import json_request, reply_text, wire_tool_calls

__all__ = ["parse_body", "request_messages", "response_body", "sse_event", "stream_events", "text_format"]


def parse_body(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(body, None) for a usable Responses body, else (None, error message)."""
    body, error = json_request(raw)
    if body is None:
        return None, error
    if not isinstance(body.get("input"), (str, list)):
        return None, "Missing required parameter: 'input'."
    if not all(isinstance(item, dict) for item in body["input"] if not isinstance(body["input"], str)):
        return None, "Invalid type for 'input': each item must be an object."
    return body, None


def _content(content: Any) -> Any:
    if isinstance(content, list):
        return [{"type": "text", "text": p.get("text", "")} if isinstance(p, dict) and "text" in p else p
                for p in content]
    return content


def request_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The request as chat messages: what a behaviour reads in `ScriptedRequest.messages`."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    for item in items or []:
        kind = item.get("type", "message")
        if kind == "message":
            messages.append({"role": item.get("role", "user"), "content": _content(item.get("content"))})
        elif kind == "function_call":
            call = {"id": item.get("call_id"), "type": "function",
                    "function": {"name": item.get("name"), "arguments": item.get("arguments", "")}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append({"role": "tool", "tool_call_id": item.get("call_id"),
                             "content": output if isinstance(output, str) else json.dumps(output)})
    return messages


def text_format(body: dict[str, Any]) -> dict[str, Any] | None:
    """`text.format` as a chat `response_format` (None for plain text)."""
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") in (None, "text"):
        return None
    if fmt.get("type") == "json_schema":
        return {"type": "json_schema", "json_schema": {k: v for k, v in fmt.items() if k != "type"}}
    return {"type": fmt.get("type")}


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage.get("completion_tokens", 0),
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.get("total_tokens", 0),
        "cost": usage.get("cost"),
    }


def _message(request: ScriptedRequest, text: str, status: str) -> dict[str, Any]:
    return {"type": "message", "id": f"msg_scripted_{request.index}", "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]}


def _calls(request: ScriptedRequest, reply: Reply) -> list[dict[str, Any]]:
    return [{"type": "function_call", "id": f"fc_scripted_{request.index}_{n}", "call_id": call["id"],
             "name": call["function"]["name"], "arguments": call["function"]["arguments"], "status": "completed"}
            for n, call in enumerate(wire_tool_calls(reply, request.index))]


def _output(request: ScriptedRequest, reply: Reply) -> list[dict[str, Any]]:
    text = reply_text(reply)
    calls = _calls(request, reply)
    message = [_message(request, text or "", "completed")] if text is not None or not calls else []
    return [*message, *calls]


def _response(request: ScriptedRequest, created: int, status: str, output: list[dict[str, Any]],
              usage: dict[str, Any] | None) -> dict[str, Any]:
    body = request.body
    return {
        "id": f"resp_scripted_{request.index}", "object": "response", "created_at": created, "status": status,
        "error": None, "incomplete_details": None, "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"), "model": request.model, "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True), "previous_response_id": None,
        "store": bool(body.get("store", False)), "temperature": body.get("temperature"),
        "text": body.get("text") or {"format": {"type": "text"}}, "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [], "top_p": body.get("top_p"), "truncation": "disabled",
        "usage": _usage(usage) if usage is not None else None, "metadata": body.get("metadata") or {},
    }


def response_body(request: ScriptedRequest, reply: Reply, usage: dict[str, Any], created: int) -> dict[str, Any]:
    """The non-streaming `response` object for `reply`."""
    return _response(request, created, "completed", _output(request, reply), usage)


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def stream_events(
    request: ScriptedRequest, reply: Reply, usage: dict[str, Any], created: int
) -> Iterator[dict[str, Any]]:
    """The typed events streamed for `reply`, in order, each with its `sequence_number`."""
    sequence = 0

    def event(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal sequence
        sequence += 1
        return {"type": kind, "sequence_number": sequence - 1, **fields}

    started = _response(request, created, "in_progress", [], None)
    yield event("response.created", response=started)
    yield event("response.in_progress", response=started)
    output = _output(request, reply)
    for index, item in enumerate(output):
        if item["type"] == "message":
            text, item_id = item["content"][0]["text"], item["id"]
            yield event("response.output_item.added", output_index=index, item={**item, "status": "in_progress",
                                                                                "content": []})
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            where = {"item_id": item_id, "output_index": index, "content_index": 0}
            yield event("response.content_part.added", **where, part=part)
            for piece in _pieces(text, reply.chunk_size):
                yield event("response.output_text.delta", **where, delta=piece, logprobs=[])
            yield event("response.output_text.done", **where, text=text, logprobs=[])
            yield event("response.content_part.done", **where, part={**part, "text": text})
        else:
            yield event("response.output_item.added", output_index=index,
                        item={**item, "status": "in_progress", "arguments": ""})
            for piece in _pieces(item["arguments"], reply.chunk_size):
                yield event("response.function_call_arguments.delta", item_id=item["id"], output_index=index,
                            delta=piece)
            yield event("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                        name=item["name"], arguments=item["arguments"])
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=_response(request, created, "completed", output, usage))


def sse_event(data: dict[str, Any]) -> bytes:
    """One server-sent event: `event: <type>` and the JSON (ASCII-escaped) as `data`."""
    return (f"event: {data['type']}\n".encode("ascii") + b"data: "
            + json.dumps(data, separators=(",", ":")).encode("ascii") + b"\n\n")
