"""Server-sent events: encoding, and keeping a quiet stream alive.

A fused stream is silent while the panel and the judge work (seconds to minutes);
:func:`with_keepalive` runs the chunk iterator in its own task and yields :data:`KEEPALIVE`
whenever nothing came for ``interval`` seconds, so load balancers and clients keep the
connection open. Closing the returned iterator cancels that task, and with it every upstream
call it started.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from fusion_tool.core import fastjson

T = TypeVar("T")

CONTENT_TYPE = "text/event-stream; charset=utf-8"
HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}  # no buffering in nginx & co
KEEPALIVE_COMMENT = b": keep-alive\n\n"
#: the status line and headers of a server-sent event stream, as an ASGI message
RESPONSE_START = {"type": "http.response.start", "status": 200,
                  "headers": [(b"content-type", CONTENT_TYPE.encode()), *((k.encode(), v.encode()) for k, v in HEADERS.items())]}
DONE = b"data: [DONE]\n\n"
QUEUE_SIZE = 32  # chunks read ahead of a slow client


class _KeepAlive:
    def __repr__(self) -> str:
        return "KEEPALIVE"


KEEPALIVE: Any = _KeepAlive()


def event(data: Any) -> bytes:
    """One ``data:`` event carrying ``data`` as JSON (compact; JSON never holds a raw newline)."""
    return data_event(fastjson.dumps(data))


def data_event(payload: bytes) -> bytes:
    """One ``data:`` event carrying ``payload``, already JSON on a single line."""
    return b"data: " + payload + b"\n\n"


class _End:
    pass


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc


async def _produce(items: AsyncIterator[T], queue: asyncio.Queue[Any]) -> None:
    try:
        async for item in items:
            await queue.put(item)
    except Exception as exc:  # handed to the consumer, which decides what the client sees
        await queue.put(_Failed(exc))
        return
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
    await queue.put(_End())


async def with_keepalive(items: AsyncIterator[T], interval: float) -> AsyncIterator[T | Any]:
    """``items`` as they come, with :data:`KEEPALIVE` after each ``interval`` seconds of silence.

    An exception raised by ``items`` is raised here, after the items before it.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_SIZE)
    producer = asyncio.create_task(_produce(items, queue))
    getter: asyncio.Future[Any] | None = None
    try:
        while True:
            if getter is None:
                getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter}, timeout=interval)
            if not done:
                yield KEEPALIVE
                continue
            item, getter = getter.result(), None
            if isinstance(item, _End):
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        if getter is not None:
            getter.cancel()
        producer.cancel()
        await asyncio.wait({producer})  # its upstream calls are cancelled before we return


class StreamResponse:
    """An ASGI response that streams ``items`` as server-sent events (``_stream``, in a subclass)
    until they end or the client leaves, then gives back its slot of the in-flight cap."""

    def __init__(self, items: AsyncIterator[Any], keepalive_seconds: float, release: Callable[[], None]) -> None:
        self._items = items
        self._keepalive = keepalive_seconds
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from fusion_tool.proxy.disconnect import respond_until_disconnect

        await respond_until_disconnect(scope, receive, self._stream(send), self._release)

    async def _stream(self, send: Any) -> None:
        raise NotImplementedError
