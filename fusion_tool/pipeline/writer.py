"""The last step: a model reads the transcript with fusion's tool result and writes the answer.

In alias mode the writer is the judge model (as on OpenRouter); in tool mode it is the calling
model continuing its own loop. Either way it is one more call, plain or streamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from fusion_tool.core.usage import Call, Usage
from fusion_tool.pipeline import prompts
from fusion_tool.provider.upstream import Upstream


def writer_messages(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": "system", "content": prompts.WRITER}, *transcript]


async def write(upstream: Upstream, params: dict[str, Any], usage: Usage, *, deadline: float | None = None) -> ChatCompletion:
    """One non-streaming writer call; its usage is added to ``usage``."""
    completion, call = await upstream.complete("writer", deadline=deadline, **params)
    usage.add(call)
    return completion


async def write_stream(
    upstream: Upstream, params: dict[str, Any], usage: Usage, *, deadline: float | None = None
) -> AsyncIterator[ChatCompletionChunk]:
    """The writer's chunks as they come. The provider's usage chunk is kept back: its usage is
    added to ``usage`` and the chunk itself is yielded last, for the caller to fill in."""
    params = {**params, "stream_options": {**(params.get("stream_options") or {}), "include_usage": True}}
    last = None
    reported = None
    async for chunk in upstream.stream(deadline=deadline, **params):
        last = chunk
        if chunk.usage is not None:
            reported = chunk.usage
            if not chunk.choices:
                continue
            chunk = chunk.model_copy(update={"usage": None})
        yield chunk
    usage.add(Call.from_usage("writer", params["model"], reported))
    if last is not None:
        yield last.model_copy(update={"choices": [], "usage": reported})
