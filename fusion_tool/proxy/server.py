"""Running the proxy: ``serve`` for the command line (one or several worker processes), and
``running`` for embedding it in tests or tools (a loopback server in a background thread).
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from fusion_tool.core.config import (
    DEFAULT_GRACEFUL_SECONDS,
    DEFAULT_LOG_LEVEL,
    DEFAULT_SERVE_HOST,
    DEFAULT_SERVE_PORT,
    FusionConfig,
    LogSettings,
    TelemetrySettings,
    export_to_workers,
    proxy_token,
)
from fusion_tool.core.connections import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_KEEP_ALIVE_TIMEOUT,
    BoundedConfig,
)
from fusion_tool.core.errors import ConfigError
from fusion_tool.core.log import configure
from fusion_tool.core.serving import STARTUP_TIMEOUT, bind_tcp, serve_in_thread
from fusion_tool.proxy.app import create_app
from fusion_tool.proxy.auth import is_loopback
from fusion_tool.proxy.otel import configure_tracing
from fusion_tool.state import for_workers

DEFAULT_HOST = DEFAULT_SERVE_HOST
DEFAULT_PORT = DEFAULT_SERVE_PORT


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError("FUSION_PROXY_TOKEN", f"serving on {host} reaches beyond this machine, so it needs "
                          "FUSION_PROXY_TOKEN set (clients then send Authorization: Bearer <token>)")


def worker_app() -> Any:
    """The app of one worker process when there are several (``uvicorn --factory``): settings
    come from the environment, which ``serve`` fills in before the workers start."""
    configure()
    configure_tracing()
    return create_app()


def serve(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    config: FusionConfig | None = None,
    workers: int = 1,
    log_level: str | None = None,
    max_inflight: int | None = None,
    keepalive_seconds: float | None = None,
    graceful_seconds: int = DEFAULT_GRACEFUL_SECONDS,
    token: str | None = None,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    keep_alive_timeout: float = DEFAULT_KEEP_ALIVE_TIMEOUT,
    redis_url: str | None = None,
) -> None:
    """Serve the proxy until interrupted (SIGINT / SIGTERM: requests in flight get
    ``graceful_seconds`` to finish). Raises :class:`ConfigError` for a host beyond loopback
    without ``FUSION_PROXY_TOKEN``, a port it cannot listen on, and a ``config`` with several
    workers (each worker reads ``FUSION_*`` from the environment). Every connection is bounded
    before the app sees it: its headers within ``header_timeout`` seconds, its body within
    ``body_timeout`` more, and an idle keep-alive connection closes after ``keep_alive_timeout``
    (``core.connections``). ``redis_url`` (default
    ``FUSION_REDIS_URL``) is where the workers share state; several workers share their metrics
    through a ``PROMETHEUS_MULTIPROC_DIR`` made for the run when none is set."""
    token = token or proxy_token()
    check_bind(host, token)
    if workers < 1:
        raise ConfigError("workers", "at least 1")
    if workers > 1 and config is not None:
        raise ConfigError("workers", "a config object serves one worker; several read FUSION_* from the environment")
    shared = redis_url or (config.redis_url if config is not None else FusionConfig.from_env().redis_url)
    with for_workers(workers, shared) as state:  # several workers without Redis: one SQLite file for them
        level = (log_level or LogSettings.from_env().level or DEFAULT_LOG_LEVEL).lower()
        configure(level)
        options: dict[str, Any] = dict(log_level=level, access_log=False, lifespan="on",
                                       timeout_graceful_shutdown=graceful_seconds)
        metrics_dir = None
        if workers == 1:
            configure_tracing()
            if redis_url:
                config = (config or FusionConfig.from_env()).replace(redis_url=redis_url)
            app: Any = create_app(config, max_inflight=max_inflight, keepalive_seconds=keepalive_seconds, token=token)
        else:
            FusionConfig.from_env(**({"redis_url": redis_url} if redis_url else {}))  # fail here, not in each worker
            if TelemetrySettings.from_env().multiproc_dir is None:  # the workers' metrics meet here
                metrics_dir = tempfile.mkdtemp(prefix="fusion-metrics-")
            settings = {"FUSION_LOG_LEVEL": level, "FUSION_PROXY_TOKEN": token,
                        "FUSION_PROXY_MAX_INFLIGHT": max_inflight, "FUSION_PROXY_KEEPALIVE": keepalive_seconds,
                        "FUSION_REDIS_URL": redis_url, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
            export_to_workers(settings)
            app, options = "fusion_tool.proxy.server:worker_app", {**options, "factory": True, "workers": workers}
        try:
            sock = bind_tcp(host, port)
        except OSError as exc:
            raise ConfigError("port", f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        shown = f"[{host}]" if ":" in host else host
        print(f"fusion-tool proxy on http://{shown}:{sock.getsockname()[1]}/v1 "
              f"({workers} worker{'s' if workers > 1 else ''}; Ctrl-C to stop)\n"
              f"fusion-tool proxy: {workers} worker{'s' if workers > 1 else ''}, {state}", file=sys.stderr, flush=True)
        uv_config = BoundedConfig(app, host=host, port=port, header_timeout=header_timeout, body_timeout=body_timeout,
                                  keep_alive_timeout=keep_alive_timeout, **options)
        try:
            with contextlib.closing(sock), contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: drained, done
                if workers == 1:
                    uvicorn.Server(uv_config).run(sockets=[sock])
                else:
                    Multiprocess(uv_config, sockets=[sock]).run()
        finally:
            if metrics_dir is not None:
                shutil.rmtree(metrics_dir, ignore_errors=True)


@contextlib.contextmanager
def running(app: Any, port: int = 0, *, graceful_seconds: int = 1,
            startup_timeout: float = STARTUP_TIMEOUT, **bounds: float) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1:``port`` (0: a free port) from a background thread; yields
    the base URL ``http://127.0.0.1:PORT/v1`` once it accepts connections, stops it on exit.
    ``bounds``: ``header_timeout``, ``body_timeout``, ``keep_alive_timeout``, as for :func:`serve`."""
    with serve_in_thread(app, port, lifespan="on", graceful_seconds=graceful_seconds, name="the fusion proxy",
                         startup_timeout=startup_timeout, **bounds) as url:
        yield url
