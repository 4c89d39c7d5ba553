"""The last step: a model reads the transcript with fusion's tool result and writes the answer.

In alias mode the writer is the judge model (as on OpenRouter); in tool mode it is the calling
model continuing its own loop. Either way it is one more call, plain or streamed, which must
be done within ``timeout`` seconds and by the ``deadline``: past either, :class:`FusionFailed`
(``writer_timeout`` or ``deadline_exceeded``; the proxy answers 504).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fusion_tool.core.errors import FusionFailed
from fusion_tool.core.usage import Call, Usage
from fusion_tool.pipeline import prompts
from fusion_tool.provider.upstream import Upstream


def writer_messages(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": "system", "content": prompts.WRITER}, *transcript]


class _Clock:
    """When the writer must be done: ``timeout`` seconds from now, or the ``deadline`` if sooner."""

    def __init__(self, timeout: float | None, deadline: float | None) -> None:
        now = time.monotonic()
        self.timeout = timeout
        ends = [t for t in (deadline, None if timeout is None else now + timeout) if t is not None]
        self.ends = min(ends) if ends else None
        self.by_deadline = deadline is not None and (timeout is None or deadline < now + timeout)

    def left(self) -> float | None:
        return None if self.ends is None else max(0.0, self.ends - time.monotonic())

    def failed(self) -> FusionFailed:
        if self.by_deadline:
            return FusionFailed("the writer had not answered by the deadline", failure_reason="deadline_exceeded")
        return FusionFailed(f"the writer gave no answer within {self.timeout:g} s", failure_reason="writer_timeout")


async def write(
    upstream: Upstream, params: dict[str, Any], usage: Usage, *, deadline: float | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """One non-streaming writer call (the provider's JSON); its usage is added to ``usage``."""
    clock = _Clock(timeout, deadline)
    try:
        async with asyncio.timeout(clock.left()):
            completion, call = await upstream.complete("writer", deadline=clock.ends, **params)
    except TimeoutError:
        raise clock.failed() from None
    usage.add(call)
    return completion


async def write_stream(
    upstream: Upstream, params: dict[str, Any], usage: Usage, *, deadline: float | None = None,
    timeout: float | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The writer's chunks as they come. The provider's usage chunk is kept back: its usage is
    added to ``usage`` and the chunk itself is yielded last, for the caller to fill in. The
    whole stream must be done within ``timeout`` seconds (and by the ``deadline``)."""
    params = {**params, "stream_options": {**(params.get("stream_options") or {}), "include_usage": True}}
    last = None
    reported = None
    clock = _Clock(timeout, deadline)
    chunks = upstream.stream(deadline=clock.ends, **params)
    try:
        while True:
            try:  # each wait bounded by what is left, never across a yield
                async with asyncio.timeout(clock.left()):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise clock.failed() from None
            last = chunk
            if chunk.get("usage") is not None:
                reported = chunk["usage"]
                if not chunk.get("choices"):
                    continue
                chunk = {**chunk, "usage": None}
            yield chunk
    finally:
        await chunks.aclose()  # type: ignore[attr-defined]
    usage.add(Call.from_usage("writer", params["model"], reported))
    if last is not None:
        yield {**last, "choices": [], "usage": reported}
