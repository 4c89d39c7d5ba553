"""Serving an ASGI app on loopback with uvicorn: a real socket, a free port, 127.0.0.1 only.

`serve_in_thread` runs the server on its own event loop in a daemon thread (for sync code and
for tests that drive it from another loop); `serve_in_loop` runs it as a task of the current
event loop. Both yield the base URL `http://127.0.0.1:<port>/v1` once the server accepts
connections, and shut it down on exit, cancelling requests still in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn

__all__ = ["LOOPBACK_HOST", "serve_in_loop", "serve_in_thread"]

LOOPBACK_HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0
"""Seconds to wait for the server to accept connections."""
SHUTDOWN_GRACE = 1
"""Seconds in-flight requests get to finish when the server stops, before they are cancelled."""


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every response waits ~40 ms for a delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK_HOST, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        loop="asyncio",
    )
    return uvicorn.Server(config)


def _base_url(sock: socket.socket) -> str:
    return f"http://{LOOPBACK_HOST}:{sock.getsockname()[1]}/v1"


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    # `_serve` skips uvicorn's signal capture, which only suits a server that owns the process.
    serve = getattr(server, "_serve", server.serve)
    await serve(sockets=[sock])


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int = 0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: a free port) from a background thread."""
    sock = _bind(port)
    server = _server(app)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_serve(server, sock))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name="scripted-provider-server", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread, failure)
        yield _base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=SHUTDOWN_GRACE + 5)
        sock.close()


def _wait_started(server: uvicorn.Server, thread: threading.Thread, failure: list[BaseException]) -> None:
    done = threading.Event()
    for _ in range(int(STARTUP_TIMEOUT / 0.005)):
        if server.started or failure or not thread.is_alive():
            break
        done.wait(0.005)
    if not server.started:
        raise RuntimeError("the scripted provider's server did not start") from (failure[0] if failure else None)


@contextlib.asynccontextmanager
async def serve_in_loop(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1:`port` (0: a free port) as a task of the running loop."""
    sock = _bind(port)
    server = _server(app)
    task = asyncio.create_task(_serve(server, sock))
    try:
        for _ in range(int(STARTUP_TIMEOUT / 0.005)):
            if server.started or task.done():
                break
            await asyncio.sleep(0.005)
        if not server.started:
            cause = task.exception() if task.done() and not task.cancelled() else None
            raise RuntimeError("the scripted provider's server did not start") from cause
        yield _base_url(sock)
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, SHUTDOWN_GRACE + 5)
        sock.close()
