"""Serving an ASGI app with uvicorn on a socket we bind ourselves, for the proxy and the
scripted provider alike: one bind (with ``TCP_NODELAY`` working) and one background-thread server.
Every server here reads its requests within bounds (``core.connections``: header, body and
keep-alive timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from fusion_tool.core.connections import BoundedConfig

LOOPBACK_HOST = "127.0.0.1"
STARTUP_TIMEOUT = 10.0  # seconds to wait for a server to accept connections


def bind_tcp(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket. Its protocol is named (``IPPROTO_TCP``, not 0): asyncio sets
    ``TCP_NODELAY`` only on connections accepted from such a socket, and without it every
    response written in two parts (headers, then body) waits ~40 ms for a delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: Any, *, lifespan: str, graceful_seconds: int, **bounds: float) -> uvicorn.Server:
    """A quiet uvicorn server for ``app``; ``bounds`` are :class:`BoundedConfig`'s timeouts."""
    return uvicorn.Server(BoundedConfig(app, lifespan=lifespan, log_level="warning", access_log=False,
                                        timeout_graceful_shutdown=graceful_seconds, loop="asyncio", **bounds))


async def serve_on(server: uvicorn.Server, sock: socket.socket) -> None:
    """Run ``server`` on ``sock``; ``_serve`` skips uvicorn's signal capture, which only suits a
    server that owns the process."""
    await getattr(server, "_serve", server.serve)(sockets=[sock])


def base_url(sock: socket.socket) -> str:
    return f"http://{LOOPBACK_HOST}:{sock.getsockname()[1]}/v1"


@contextlib.contextmanager
def serve_in_thread(
    app: Any, port: int = 0, *, lifespan: str = "off", graceful_seconds: int = 1, name: str = "fusion-tool-server",
    startup_timeout: float = STARTUP_TIMEOUT, **bounds: float,
) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` (0: a free port) from a daemon thread with its own
    event loop; yields the base URL ``http://127.0.0.1:PORT/v1`` once it accepts connections,
    and stops it on exit (requests in flight get ``graceful_seconds``, then are cancelled).
    ``bounds``: ``header_timeout``, ``body_timeout``, ``keep_alive_timeout`` (:class:`BoundedConfig`)."""
    sock = bind_tcp(LOOPBACK_HOST, port, backlog=128)
    server = uvicorn_server(app, lifespan=lifespan, graceful_seconds=graceful_seconds, **bounds)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(serve_on(server, sock))
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        waiting = threading.Event()
        for _ in range(int(startup_timeout / 0.005)):
            if server.started or failure or not thread.is_alive():
                break
            waiting.wait(0.005)
        if not server.started:
            raise RuntimeError(f"{name} did not start") from (failure[0] if failure else None)
        yield base_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=graceful_seconds + 5)
        sock.close()
