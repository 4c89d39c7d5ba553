"""Serving the MCP server: over stdio (what a desktop or editor host launches), or over the
SDK's streamable HTTP (an ASGI app served by uvicorn).

On stdio, stdout is the protocol's channel: the SDK diverts stray writes to fd 1 onto stderr
while it serves, and fusion-tool's logs go to stderr only.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import uvicorn
from mcp.server import Server
from mcp.server.stdio import stdio_server

from fusion_tool.core.config import DEFAULT_LOG_LEVEL
from fusion_tool.core.connections import BoundedConfig
from fusion_tool.core.errors import ConfigError
from fusion_tool.core.serving import bind_tcp

MCP_PATH = "/mcp"
#: on shutdown, seconds a call in flight may take to finish before it is cancelled
GRACEFUL_SECONDS = 5


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on this process's stdin and stdout until it closes stdin."""
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def http_app(server: Server[Any], host: str) -> Any:
    """The streamable HTTP app (``POST``/``GET``/``DELETE`` on ``/mcp``). On a loopback
    ``host`` the SDK also checks ``Host`` and ``Origin`` against DNS rebinding."""
    return server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)


def serve_http(app: Any, host: str, port: int, *, log_level: str = DEFAULT_LOG_LEVEL) -> None:
    """Serve ``app`` on ``host:port`` (0: a free port) until interrupted; says where on stderr."""
    try:
        sock = bind_tcp(host, port, backlog=128)
    except OSError as exc:
        raise ConfigError("port", f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    print(f"fusion-tool MCP server on http://{shown}:{sock.getsockname()[1]}{MCP_PATH} (Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    # read timeouts as the proxy's (core.connections): headers, body, keep-alive
    config = BoundedConfig(app, host=host, port=port, lifespan="on", log_level=log_level, access_log=False,
                           timeout_graceful_shutdown=GRACEFUL_SECONDS)
    with contextlib.closing(sock), contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
