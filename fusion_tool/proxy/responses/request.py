"""A fused Responses request, checked and put into Chat Completions terms.

Fusion reaches the calling model and the writer over the provider's Chat Completions, so a
Responses body is translated once, here, into the chat request that ``modes.plan`` and the
modes already serve: ``instructions`` and ``input`` become ``messages`` (text, image and file
parts, ``function_call`` / ``function_call_output`` items as tool calls and tool results, an
``openrouter:fusion`` item as the fusion exchange it records), flat function tools become
chat tools, ``text.format`` becomes ``response_format``, ``max_output_tokens`` becomes
``max_completion_tokens``. What cannot be translated is refused with a 400 naming the field
(:data:`REFUSED`, then ``schemas/responses_request.json``).
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema.exceptions import ValidationError

from fusion_tool.core import schemas
from fusion_tool.core.errors import ProxyError
from fusion_tool.core.transcript import assistant_turn, fusion_exchange, prompt_from_messages, text_of
from fusion_tool.modes.plan import FUSION_TOOL_TYPE

FUSION_ITEM_TYPE = FUSION_TOOL_TYPE  # the output item of a fusion run has the tool's type

#: Responses fields fusion cannot honour, and why (checked when the value is not null)
REFUSED = {
    "previous_response_id": "fusion-tool does not store responses, so it cannot continue one by its id; send the "
                            "whole conversation in input (the previous response's output items included)",
    "conversation": "fusion-tool does not store conversations; send the whole conversation in input",
    "prompt": "stored prompt templates live with OpenAI and fusion-tool cannot read them; send instructions and "
              "input instead",
    "top_logprobs": "a fused answer has no log probabilities",
    "max_tool_calls": "it limits hosted tools, which fusion does not serve; fusion's own limit is the "
                      "openrouter:fusion tool's parameters.max_tool_calls (per panelist)",
    "context_management": "fusion-tool does not compact conversations",
    "prompt_cache_retention": "not translated to Chat Completions by fusion-tool",
}

#: why a value of an accepted field is refused, by field (for values the schema alone would
#: refuse with a less helpful message)
_REFUSED_VALUES = {
    "background": (lambda v: v is True,
                   "fusion-tool answers in the foreground only; use stream: true for a long fused answer"),
    "truncation": (lambda v: v == "auto",
                   'fusion-tool does not truncate the conversation; leave truncation out or send "disabled"'),
}

#: Responses fields that go on to the chat calls under the same name
_SAME_NAME = ("model", "stream", "temperature", "top_p", "parallel_tool_calls", "plugins", "user",
              "safety_identifier", "prompt_cache_key", "service_tier")


def check(body: dict[str, Any]) -> None:
    """Refuse what fusion cannot honour, naming the field; then check the shape."""
    for name, why in REFUSED.items():
        if body.get(name) is not None:
            raise ProxyError(400, f"{name}: not supported: {why}", code="unsupported_parameter", param=name)
    for name, (refused, why) in _REFUSED_VALUES.items():
        if refused(body.get(name)):
            raise ProxyError(400, f"{name}: {json.dumps(body[name])} is not supported: {why}",
                             code="unsupported_parameter", param=name)
    include = body.get("include")
    if isinstance(include, list):
        for i, entry in enumerate(include):
            if entry != "reasoning.encrypted_content":
                raise ProxyError(400, f"include[{i}]: {json.dumps(entry)} is not supported: a fused response has "
                                 "no such data", code="unsupported_parameter", param=f"include[{i}]")
    errors = sorted(schemas.validator("responses_request").iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        field, message = _explain(errors[0])
        raise ProxyError(400, f"{field}: {message}" if field else message, code="invalid_request",
                         param=field or None)


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _explain(error: ValidationError) -> tuple[str, str]:
    """(the field, what is wrong with it) for a schema error: the deepest complaint of a
    ``oneOf``, the missing key of a ``required``, the unknown key of ``additionalProperties``."""
    if error.validator == "oneOf" and error.context:
        best = max(error.context, key=lambda e: len(e.relative_path))
        if best.relative_path:
            return _explain(best)
    path = _path(error)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), None)
        if missing is not None:
            return (f"{path}.{missing}" if path else missing), "is required"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        if extra:
            return (f"{path}.{extra[0]}" if path else extra[0]), ("unknown field: fusion-tool's Responses "
                                                                  "translation does not know it")
    message = error.message if len(error.message) < 200 else error.message[:200] + "…"
    return path, message


def has_fusion_items(body: dict[str, Any]) -> bool:
    """The input carries the record of an earlier fusion run (a client that replays output)."""
    items = body.get("input")
    return isinstance(items, list) and any(isinstance(i, dict) and i.get("type") == FUSION_ITEM_TYPE for i in items)


def _part(part: dict[str, Any], where: str) -> dict[str, Any]:
    kind = part["type"]
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": part["text"]}
    if kind == "refusal":
        return {"type": "text", "text": part["refusal"]}
    if kind == "input_image":
        if not part.get("image_url"):
            raise ProxyError(400, f"{where}: only images given by image_url (a URL or a data: URL) are supported; "
                             "file_id needs OpenAI's file storage", code="unsupported_parameter", param=where)
        return {"type": "image_url", "image_url": {"url": part["image_url"], "detail": part.get("detail") or "auto"}}
    if not part.get("file_data"):  # input_file
        raise ProxyError(400, f"{where}: only files given inline by file_data are supported; file_id and file_url "
                         "are not", code="unsupported_parameter", param=where)
    return {"type": "file", "file": {"filename": part.get("filename") or "file", "file_data": part["file_data"]}}


def _content(content: Any, where: str, *, text_only: bool) -> Any:
    if isinstance(content, str):
        return content
    parts = [_part(p, f"{where}[{i}]") for i, p in enumerate(content)]
    if text_only or all(p["type"] == "text" for p in parts):
        if any(p["type"] != "text" for p in parts):
            raise ProxyError(400, f"{where}: only text parts are supported in this role's content",
                             code="unsupported_parameter", param=where)
        return "\n".join(p["text"] for p in parts)
    return parts


def fusion_result(item: dict[str, Any]) -> dict[str, Any]:
    """The tool result (what the calling model read) an ``openrouter:fusion`` item records."""
    failed = item.get("failed_models") or []
    if item.get("status") == "failed":
        out = {"status": "error", "error": item.get("error") or "fusion failed",
               "failure_reason": item.get("failure_reason") or "all_panels_failed"}
        return {**out, "failed_models": failed} if failed else out
    out = {"status": "ok"}
    if item.get("analysis") is not None:
        out["analysis"] = item["analysis"]
    return {**out, "responses": item.get("responses") or [], "failed_models": failed}


def _messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body["input"]
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    for i, item in enumerate(items):
        kind, where = item.get("type", "message"), f"input[{i}]"
        last = messages[-1] if messages else None
        if kind == "message":
            role = item["role"]
            content = _content(item["content"], f"{where}.content", text_only=role != "user")
            messages.append({"role": role, "content": content})
        elif kind == "function_call":
            call = {"id": item["call_id"], "function": {"name": item["name"], "arguments": item["arguments"]}}
            if last is not None and last["role"] == "assistant":  # one assistant turn: its text and its calls
                messages[-1] = assistant_turn(last.get("content"), [*(last.get("tool_calls") or []), call])
            else:
                messages.append(assistant_turn("", [call]))
        elif kind == "function_call_output":
            output = item["output"]
            messages.append({"role": "tool", "tool_call_id": item["call_id"],
                             "content": output if isinstance(output, str) else text_of(
                                 [_part(p, f"{where}.output[{n}]") for n, p in enumerate(output)])})
        elif item.get("status") in ("completed", "failed"):  # an openrouter:fusion item: the exchange it records
            call_id = f"call_{item.get('id') or i}"
            messages += fusion_exchange(prompt_from_messages(messages), fusion_result(item), call_id=call_id)
    return messages


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    if tool["type"] != "function":
        return tool  # the openrouter:fusion entry, which modes.plan reads
    function = {k: tool[k] for k in ("name", "description", "parameters", "strict") if tool.get(k) is not None}
    return {"type": "function", "function": function}


def _tool_choice(choice: Any) -> Any:
    if not isinstance(choice, dict) or choice["type"] == FUSION_TOOL_TYPE:
        return choice
    if choice["type"] == "function":
        return {"type": "function", "function": {"name": choice["name"]}}
    tools = [{"type": "function", "function": {"name": t["name"]}} for t in choice["tools"]]
    return {"type": "allowed_tools", "allowed_tools": {"mode": choice["mode"], "tools": tools}}


def _response_format(fmt: dict[str, Any] | None) -> dict[str, Any] | None:
    if fmt is None or fmt["type"] == "text":
        return None
    if fmt["type"] == "json_object":
        return {"type": "json_object"}
    spec = {k: fmt[k] for k in ("name", "schema", "strict", "description") if fmt.get(k) is not None}
    return {"type": "json_schema", "json_schema": spec}


def to_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The chat-completion request that serves ``body`` (already :func:`check`-ed)."""
    chat: dict[str, Any] = {k: body[k] for k in _SAME_NAME if body.get(k) is not None}
    chat["messages"] = _messages(body)
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    if body.get("tools"):
        chat["tools"] = [_tool(t) for t in body["tools"]]
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(body["tool_choice"])
    text = body.get("text") or {}
    if (fmt := _response_format(text.get("format"))) is not None:
        chat["response_format"] = fmt
    if text.get("verbosity") is not None:
        chat["verbosity"] = text["verbosity"]
    if (body.get("reasoning") or {}).get("effort") is not None:
        chat["reasoning_effort"] = body["reasoning"]["effort"]
    return chat
