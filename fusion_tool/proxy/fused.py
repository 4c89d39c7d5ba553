"""Alias and tool mode over HTTP: the very functions the SDK wrapper calls, sent as one JSON
completion or as server-sent events.

Non-streaming: the fused call runs while the client's connection is watched, and is cancelled
with every upstream call in it if the client leaves. Streaming: keep-alive comments while the
panel works, then the answer's ``chat.completion.chunk`` events, the usage chunk when
``stream_options.include_usage`` asks for it, and ``data: [DONE]``. The status line goes out
with the first byte: a failure before it is an error response with its own status, a failure
after it is a ``data: {"error": ...}`` event and then ``[DONE]`` (nothing is retried).
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Send

from fusion_tool.core import fastjson
from fusion_tool.core.events import Listener
from fusion_tool.core.log import get_logger
from fusion_tool.modes.memory import Memory
from fusion_tool.modes.plan import Plan
from fusion_tool.modes.serve import is_closing, serve
from fusion_tool.provider.upstream import Upstream
from fusion_tool.proxy import sse
from fusion_tool.proxy.disconnect import until_disconnect
from fusion_tool.proxy.errors import as_proxy_error, envelope, error_body

log = get_logger("fusion_tool.proxy")


async def complete(
    receive: Receive, plan: Plan, upstream: Upstream, memory: Memory, on_event: Listener | None = None
) -> Response:
    completion = await until_disconnect(receive, serve(plan, upstream, on_event, memory))
    return Response(fastjson.dumps(completion), media_type="application/json")


def _failed(exc: Exception) -> None:
    err = as_proxy_error(exc)
    if err.status >= 500 and err.code == "internal_error":
        log.error("fused_stream_failed", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    else:
        log.warning("fused_stream_failed", status=err.status, error=err.message)


class FusedStream(sse.StreamResponse):
    """An ASGI response streaming a fused answer as server-sent events."""

    def __init__(
        self,
        chunks: AsyncIterator[dict[str, Any]],
        *,
        include_usage: bool,
        keepalive_seconds: float,
        release: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(chunks, keepalive_seconds, release)
        self._include_usage = include_usage
        self._started = False

    async def _start(self, send: Send) -> None:
        if not self._started:
            self._started = True
            await send(sse.RESPONSE_START)

    async def _body(self, send: Send, data: bytes, more: bool = True) -> None:
        await self._start(send)
        await send({"type": "http.response.body", "body": data, "more_body": more})

    async def _stream(self, send: Send) -> None:
        try:
            async with contextlib.aclosing(sse.with_keepalive(self._items, self._keepalive)) as events:
                async for item in events:
                    if item is sse.KEEPALIVE:
                        await self._body(send, sse.KEEPALIVE_COMMENT)
                    elif self._include_usage or not is_closing(item):
                        await self._body(send, sse.data_event(fastjson.dumps(item)))
        except Exception as exc:
            _failed(exc)
            if not self._started:  # nothing sent yet: an honest status
                status, body, headers = error_body(exc)
                raw = [(b"content-type", b"application/json"), *((k.encode(), v.encode()) for k, v in headers.items())]
                await send({"type": "http.response.start", "status": status, "headers": raw})
                await send({"type": "http.response.body", "body": body})
                return
            err = as_proxy_error(exc)
            await self._body(send, sse.event(envelope(err.status, err.message, code=err.code, param=err.param)))
        await self._body(send, sse.DONE, more=False)
