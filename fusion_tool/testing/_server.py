"""Serving an ASGI app on loopback with uvicorn: a real socket, a free port, 127.0.0.1 only.

`serve_in_thread` runs the server on its own event loop in a daemon thread (for sync code and
for tests that drive it from another loop); `serve_in_loop` runs it as a task of the current
event loop. Both yield the base URL `http://127.0.0.1:<port>/v1` once the server accepts
connections, and shut it down on exit, cancelling requests still in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fusion_tool.core.serving import LOOPBACK_HOST, STARTUP_TIMEOUT, base_url, bind_tcp, serve_on, uvicorn_server
from fusion_tool.core.serving import serve_in_thread as _serve_in_thread

__all__ = ["LOOPBACK_HOST", "serve_in_loop", "serve_in_thread"]

SHUTDOWN_GRACE = 1
"""Seconds in-flight requests get to finish when the server stops, before they are cancelled."""


def serve_in_thread(app: Any, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: a free port) from a background thread."""
    return _serve_in_thread(app, port, graceful_seconds=SHUTDOWN_GRACE, name="the scripted provider's server")


@contextlib.asynccontextmanager
async def serve_in_loop(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: a free port) as a task of the running loop."""
    sock = bind_tcp(LOOPBACK_HOST, port, backlog=128)
    server = uvicorn_server(app, lifespan="off", graceful_seconds=SHUTDOWN_GRACE)
    task = asyncio.create_task(serve_on(server, sock))
    try:
        for _ in range(int(STARTUP_TIMEOUT / 0.005)):
            if server.started or task.done():
                break
            await asyncio.sleep(0.005)
        if not server.started:
            cause = task.exception() if task.done() and not task.cancelled() else None
            raise RuntimeError("the scripted provider's server did not start") from cause
        yield base_url(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, SHUTDOWN_GRACE + 5)
        sock.close()
