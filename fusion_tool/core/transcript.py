"""Reading and extending OpenAI chat transcripts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

CONTEXT_TURNS = 8  # earlier turns carried into a panel prompt in alias mode


#: content-part types that carry text (Chat Completions' and the Responses API's)
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})


def text_of(content: Any) -> str:
    """The text of a message's ``content``: a string, a list of parts (dicts or SDK objects;
    text parts joined by newlines, image, audio and other parts skipped), or ``None``."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif _field(part, "type") in TEXT_PARTS and isinstance(text := _field(part, "text"), str):
                parts.append(text)
        return "\n".join(parts)
    return str(content)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def is_text_part(part: Any) -> bool:
    return isinstance(part, str) or _field(part, "type") in TEXT_PARTS


def assistant_turn(content: str | None, tool_calls: Sequence[Any]) -> dict[str, Any]:
    """An assistant message carrying ``tool_calls`` (dicts or the SDK's objects), as every
    server takes it: content ``""`` rather than null (llama.cpp refuses null beside tool
    calls), and each call ``{"id", "type": "function", "function": {"name", "arguments"}}``."""
    calls = []
    for call in tool_calls:
        function = _field(call, "function")
        calls.append({"id": _field(call, "id"), "type": "function",
                      "function": {"name": _field(function, "name"), "arguments": _field(function, "arguments")}})
    return {"role": "assistant", "content": content or "", "tool_calls": calls}


def as_dicts(messages: Sequence[Any]) -> list[dict[str, Any]]:
    """Messages as plain dicts (the SDK's message objects are dumped)."""
    out = []
    for m in messages:
        if hasattr(m, "model_dump"):
            m = m.model_dump(exclude_none=True)
        out.append(dict(m))
    return out


def prompt_from_messages(messages: Sequence[dict[str, Any]]) -> str:
    """A self-contained prompt for the panel: the last user turn, with earlier turns as context."""
    last = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=None)
    if last is None:
        return "\n\n".join(text_of(m.get("content")) for m in messages if m.get("content"))
    question = text_of(messages[last].get("content"))
    earlier = [
        f"{m['role']}: {text_of(m.get('content'))}"
        for m in messages[:last]
        if m.get("role") in ("system", "developer", "user", "assistant") and text_of(m.get("content")).strip()
    ][-CONTEXT_TURNS:]
    if not earlier:
        return question
    return "Context from the conversation so far:\n" + "\n".join(earlier) + "\n\nThe request:\n" + question


def fusion_exchange(prompt: str, tool_result: dict[str, Any], call_id: str | None = None) -> list[dict[str, Any]]:
    """The assistant's ``fusion`` call and its tool result, as two transcript messages."""
    call_id = call_id or f"call_fusion_{uuid.uuid4().hex[:12]}"
    call = {"id": call_id, "function": {"name": "fusion", "arguments": json.dumps({"prompt": prompt})}}
    return [
        assistant_turn("", [call]),
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(tool_result, ensure_ascii=False)},
    ]
