"""Reading and extending OpenAI chat transcripts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

CONTEXT_TURNS = 8  # earlier turns carried into a panel prompt in alias mode


def text_of(content: Any) -> str:
    """The text of a message's ``content``: a string, a list of parts, or ``None``."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                parts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                parts.append(part)
        return "\n".join(parts)
    return str(content)


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
    return [
        {
            "role": "assistant",
            "content": "",  # not null: some servers reject null beside tool calls
            "tool_calls": [{"id": call_id, "type": "function",
                            "function": {"name": "fusion", "arguments": json.dumps({"prompt": prompt})}}],
        },
        {"role": "tool", "tool_call_id": call_id, "content": json.dumps(tool_result, ensure_ascii=False)},
    ]
