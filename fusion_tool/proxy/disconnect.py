"""Cancel work when its client goes away.

An ASGI server tells the app that a client disconnected by answering ``receive()`` with
``http.disconnect``. :func:`until_disconnect` runs the work beside a watcher of that channel;
if the client leaves first, the work is cancelled (and every upstream call it started with
it) and :class:`ClientGone` is raised. Call it only once the request body has been read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

from fusion_tool.core.errors import ClientGone

T = TypeVar("T")
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def until_disconnect(receive: Receive, work: Awaitable[T]) -> T:
    """The result of ``work``, or :class:`ClientGone` once the client has left (work cancelled)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the server is stopping: the work goes with us
        task.cancel()
        watcher.cancel()
        raise
    watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})  # its upstream calls are cancelled before we go on
    for done in (task, watcher):
        if not done.cancelled():
            done.exception()  # retrieved: nobody is left to hear about it
    raise ClientGone()


async def respond_until_disconnect(
    scope: MutableMapping[str, Any], receive: Receive, work: Awaitable[Any], release: Callable[[], None] | None = None
) -> None:
    """Run a streaming response's ``work`` until it ends or its client leaves; a client that
    left is noted in the request's state (the access log reports it, status 499). ``release``
    (a slot of the in-flight cap) is given back either way."""
    try:
        await until_disconnect(receive, work)
    except ClientGone:
        scope.setdefault("state", {})["client_gone"] = True
    finally:
        if release is not None:
            release()
