"""The ``fusion-tool serve`` subcommand: its options and what it runs."""

from __future__ import annotations

import argparse
import os

from fusion_tool.core.config import DEFAULT_GRACEFUL_SECONDS, LOG_LEVELS
from fusion_tool.core.config import DEFAULT_SERVE_HOST as DEFAULT_HOST
from fusion_tool.core.config import DEFAULT_SERVE_PORT as DEFAULT_PORT


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one, which
    containers and ``taskset`` narrow), else every CPU of the machine; at least 1."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (default 127.0.0.1; any other needs FUSION_PROXY_TOKEN)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8000)")
    parser.add_argument("--workers", type=_positive_int, default=available_cpus(),
                        help="worker processes (default: one per CPU this process may run on, here %(default)s); "
                        "several share tool mode's continuations and the in-flight cap in --redis-url, else in a SQLite "
                        "file on this machine made for the run; one keeps them in process")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default=None,
                        help="default FUSION_LOG_LEVEL or warning; info logs one line per request")
    parser.add_argument("--max-inflight", type=_positive_int, default=None,
                        help="fused requests in flight before 429, across every worker of this serve (and every "
                        "server sharing --redis-url) (default FUSION_PROXY_MAX_INFLIGHT or 64)")
    parser.add_argument("--redis-url", default=None, metavar="URL",
                        help="Redis where workers and hosts share continuations and the in-flight cap "
                        "(default FUSION_REDIS_URL; unset: see --workers)")
    parser.add_argument("--graceful-timeout", type=int, default=DEFAULT_GRACEFUL_SECONDS, metavar="SECONDS",
                        help=f"on shutdown, seconds requests in flight may take to finish (default {DEFAULT_GRACEFUL_SECONDS})")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; a ConfigError (e.g. a public host without a token) propagates."""
    from fusion_tool.proxy.server import serve  # the proxy's imports only when it is asked for

    serve(args.host, args.port, workers=args.workers or available_cpus(), log_level=args.log_level,
          max_inflight=args.max_inflight, graceful_seconds=args.graceful_timeout, redis_url=args.redis_url)
    return 0
