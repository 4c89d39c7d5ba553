"""The ``fusion-tool mcp`` subcommand: the MCP server over stdio, or streamable HTTP with ``--http``.

Nothing heavy is imported before the arguments are parsed. Over HTTP the proxy's rule holds:
loopback by default; any other address needs ``FUSION_PROXY_TOKEN``, and then every request
carries it as a bearer token.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from fusion_tool.core.config import DEFAULT_LOG_LEVEL, DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, LOG_LEVELS

DEFAULT_HOST = DEFAULT_SERVE_HOST
DEFAULT_PORT = DEFAULT_SERVE_PORT + 1  # beside the proxy's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--http", action="store_true",
                        help="serve streamable HTTP on /mcp instead of stdio")
    parser.add_argument("--host", default=None,
                        help=f"with --http: address to listen on (default {DEFAULT_HOST}; "
                             "any other needs FUSION_PROXY_TOKEN)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"with --http: port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default=None,
                        help="with --http: the HTTP server's log level (default warning); logs go to stderr")


def run(args: argparse.Namespace, no_provider: str) -> int:
    """Serve until the client leaves (stdio) or until interrupted (HTTP).

    A ConfigError (a bad ``FUSION_*`` value, a public host without a token) propagates.
    """
    from fusion_tool.core.config import FusionConfig, proxy_token
    from fusion_tool.core.errors import ConfigError

    if not args.http:
        for flag in ("host", "port", "log_level"):
            if getattr(args, flag) is not None:
                raise ConfigError(f"--{flag.replace('_', '-')}", "applies with --http only")
    config = FusionConfig.from_env()
    if not config.names_a_provider:
        print(no_provider, file=sys.stderr)
        return 2
    if not args.http:
        from fusion_tool.mcp import create_server, serve_stdio

        asyncio.run(serve_stdio(create_server(config)))
        return 0
    host = args.host or DEFAULT_HOST
    token = proxy_token()
    from fusion_tool.proxy.server import check_bind

    check_bind(host, token)  # before anything listens
    from fusion_tool.mcp import create_server, http_app, serve_http
    from fusion_tool.proxy.auth import TokenAuth

    app = TokenAuth(http_app(create_server(config), host), token)
    serve_http(app, host, DEFAULT_PORT if args.port is None else args.port, log_level=args.log_level or DEFAULT_LOG_LEVEL)
    return 0
