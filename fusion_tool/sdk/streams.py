"""Stream objects for the wrapped client: iterate them like the SDK's ``Stream``/``AsyncStream``.

They yield the SDK's own ``ChatCompletionChunk`` objects. The closing usage chunk (summed usage,
fusion record) is yielded only when the request asked for ``stream_options.include_usage``;
either way ``stream.usage`` and ``stream.fusion`` hold it once the stream is done.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionChunk

from fusion_tool.core import sync as _runner
from fusion_tool.modes.serve import is_closing


class _Record:
    include_usage: bool
    usage: CompletionUsage | None = None
    fusion: dict[str, Any] | None = None

    def _keep(self, chunk: ChatCompletionChunk) -> bool:
        if is_closing(chunk):
            self.usage, self.fusion = chunk.usage, chunk.fusion  # type: ignore[attr-defined]
            return self.include_usage
        return True


class FusionStream(_Record):
    def __init__(self, chunks: AsyncIterator[ChatCompletionChunk], include_usage: bool) -> None:
        self._chunks = chunks
        self._iter = _runner.iterate(chunks)
        self.include_usage = include_usage

    def __iter__(self) -> Iterator[ChatCompletionChunk]:
        for chunk in self._iter:
            if self._keep(chunk):
                yield chunk

    def __next__(self) -> ChatCompletionChunk:
        while True:
            chunk = next(self._iter)
            if self._keep(chunk):
                return chunk

    def close(self) -> None:
        self._iter.close()

    def __enter__(self) -> FusionStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFusionStream(_Record):
    def __init__(self, chunks: AsyncIterator[ChatCompletionChunk], include_usage: bool) -> None:
        self._chunks = chunks
        self.include_usage = include_usage

    def __aiter__(self) -> AsyncFusionStream:
        return self

    async def __anext__(self) -> ChatCompletionChunk:
        while True:
            chunk = await self._chunks.__anext__()
            if self._keep(chunk):
                return chunk

    async def close(self) -> None:
        aclose = getattr(self._chunks, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncFusionStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
