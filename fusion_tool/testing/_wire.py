"""The OpenAI Chat Completions wire format: pure functions from a `Reply` to JSON bodies.

Nothing here does I/O. The shapes follow what api.openai.com sends, so that the `openai` SDK
(and anything else that speaks the format) parses them unchanged:

- `completion_body`: a `chat.completion` object;
- `stream_chunks`: the `chat.completion.chunk` objects of a stream (a role delta first, content
  in `chunk_size` pieces, each tool call as a head chunk with `id`, `type`, `function.name` and
  empty `arguments` followed by argument fragments, a `finish_reason` chunk, and, when the
  request asked for `stream_options.include_usage`, a usage chunk with empty `choices`);
- `error_body`: the `{"error": {"message", "type", "code", "param"}}` envelope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

from fusion_tool.testing._replies import Reply, ScriptedRequest, message_text

__all__ = [
    "DEFAULT_PRICE",
    "SSE_DONE",
    "completion_body",
    "compute_usage",
    "error_body",
    "reply_text",
    "sse_event",
    "stream_chunks",
    "wire_tool_calls",
]

DEFAULT_PRICE = (1e-6, 2e-6)
"""Default (prompt, completion) price per token, in dollars, for `usage.cost`."""

SSE_DONE = b"data: [DONE]\n\n"

_ERROR_KINDS = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", "forbidden"),
    404: ("invalid_request_error", "not_found"),
    408: ("timeout_error", "timeout"),
    409: ("conflict_error", "conflict"),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", "unprocessable_entity"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def error_body(
    status: int, message: str | None = None, *, type: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The OpenAI error envelope for an HTTP `status`, with defaults taken from the status."""
    default_type, default_code = _ERROR_KINDS.get(
        status, ("server_error", "server_error") if status >= 500 else ("invalid_request_error", None)
    )
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = f"HTTP {status}"
    return {
        "error": {
            "message": message,
            "type": type or default_type,
            "code": code if code is not None else default_code,
            "param": None,
        }
    }


def reply_text(reply: Reply) -> str | None:
    """The assistant content of `reply`: `text`, else `json` encoded, else None."""
    if reply.text is not None:
        return reply.text
    if reply.json is not None:
        return json.dumps(reply.json)
    return None


def wire_tool_calls(reply: Reply, request_index: int) -> list[dict[str, Any]]:
    """The reply's tool calls in wire shape, arguments as strings, ids filled in."""
    calls = []
    for n, call in enumerate(reply.tool_calls or ()):
        arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
        calls.append(
            {
                "id": call.id or f"call_{request_index}_{n}",
                "type": "function",
                "function": {"name": call.name, "arguments": arguments},
            }
        )
    return calls


def _words(text: str) -> int:
    return len(text.split())


def compute_usage(
    request: ScriptedRequest, reply: Reply, price: tuple[float, float] = DEFAULT_PRICE
) -> dict[str, Any]:
    """A deterministic `usage` object: tokens are whitespace-separated words (at least 1).

    prompt_tokens counts the words of every message (text and tool-call arguments);
    completion_tokens the words of the reply's text and tool-call arguments;
    `cost` = prompt_tokens * price[0] + completion_tokens * price[1].
    """
    prompt = 0
    for message in request.messages:
        if not isinstance(message, dict):
            continue
        prompt += _words(message_text(message))
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                prompt += _words(function["arguments"])
    completion = _words(reply_text(reply) or "")
    for call in wire_tool_calls(reply, request.index):
        completion += _words(call["function"]["arguments"])
    prompt, completion = max(prompt, 1), max(completion, 1)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost": round(prompt * price[0] + completion * price[1], 12),
    }


def _finish_reason(reply: Reply) -> str:
    if reply.finish_reason is not None:
        return reply.finish_reason
    return "tool_calls" if reply.tool_calls else "stop"


def completion_body(
    request: ScriptedRequest, reply: Reply, usage: dict[str, Any], created: int
) -> dict[str, Any]:
    """The non-streaming `chat.completion` body for `reply`."""
    tool_calls = wire_tool_calls(reply, request.index)
    text = reply_text(reply)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text if text is not None or tool_calls else "",
        "refusal": None,
    }
    if tool_calls:
        message["tool_calls"] = tool_calls
    message.update(reply.message_extra or {})
    return {
        "id": f"chatcmpl-scripted-{request.index}",
        "object": "chat.completion",
        "created": created,
        "model": request.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish_reason(reply)}
        ],
        "usage": usage,
    }


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _wants_usage(request: ScriptedRequest) -> bool:
    options = request.body.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def stream_chunks(
    request: ScriptedRequest, reply: Reply, usage: dict[str, Any], created: int
) -> Iterator[dict[str, Any]]:
    """The `chat.completion.chunk` objects streamed for `reply`, in order (without [DONE])."""
    include_usage = _wants_usage(request)
    head = {
        "id": f"chatcmpl-scripted-{request.index}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": request.model,
    }

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        body = {
            **head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if include_usage:
            body["usage"] = None
        return body

    text = reply_text(reply)
    tool_calls = wire_tool_calls(reply, request.index)
    first: dict[str, Any] = {"role": "assistant", "content": "" if text is not None or not tool_calls else None}
    first.update(reply.message_extra or {})
    yield chunk(first)
    for piece in _pieces(text or "", reply.chunk_size):
        yield chunk({"content": piece})
    for n, call in enumerate(tool_calls):
        function = call["function"]
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": n,
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": function["name"], "arguments": ""},
                    }
                ]
            }
        )
        for piece in _pieces(function["arguments"], reply.chunk_size):
            yield chunk({"tool_calls": [{"index": n, "function": {"arguments": piece}}]})
    yield chunk({}, _finish_reason(reply))
    if include_usage:
        yield {**head, "choices": [], "usage": usage}


def sse_event(data: dict[str, Any]) -> bytes:
    """One server-sent event carrying `data` as JSON (ASCII-escaped, so any str survives)."""
    return b"data: " + json.dumps(data, separators=(",", ":")).encode("ascii") + b"\n\n"


def json_request(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(body, None) for a JSON object naming a model, else (None, the error OpenAI would send)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"We could not parse the JSON body of your request: {exc}"
    if not isinstance(body, dict):
        return None, "The request body must be a JSON object."
    if not isinstance(body.get("model"), str):
        return None, "You must provide a model parameter."
    return body, None
