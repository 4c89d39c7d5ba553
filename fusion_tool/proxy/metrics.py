"""Prometheus metrics at ``GET /metrics`` (``prometheus-client``).

Requests by route, mode and status, and their latency; fused runs by status and failure
reason, and their latency; panelist failures by reason; inner calls, tokens and cost by role
(``panel``, ``judge``, ``writer``, ``caller``), and their latency; fused requests in flight.
The pipeline's moments arrive through :mod:`fusion_tool.core.telemetry`'s observers, the
requests through :class:`fusion_tool.proxy.observe.Observe`.

Several workers (``fusion-tool serve --workers N``) share one view through prometheus-client's
multiprocess mode: ``serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory (unless
it is set already) before the workers start, and any worker's ``/metrics`` answers for all of
them on that host. Separate hosts (or separate ``serve`` processes) are scraped one by one, as
Prometheus does with any fleet. prometheus-client is imported when the first app is built,
never before: its multiprocess mode is fixed at import.
"""

from __future__ import annotations

import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fusion_tool.core import telemetry
from fusion_tool.core.config import TelemetrySettings
from fusion_tool.core.usage import Call

#: seconds: from a pass-through's milliseconds to a deliberate panel's minutes
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
ROUTES = ("/chat/completions", "/responses", "/models", "/healthz", "/metrics")


def route_of(path: str) -> str:
    """A bounded label for ``path``: the route it matched, else ``other``."""
    bare = path[3:] if path.startswith("/v1/") else path
    if bare.startswith("/models/"):
        return "/models/{id}"
    return bare if bare in ROUTES else "other"


class Metrics:
    """The proxy's metrics, in a registry of their own; an observer of the pipeline."""

    def __init__(self, multiproc_dir: str | None) -> None:
        import prometheus_client as prom

        self.multiproc_dir = multiproc_dir
        self.registry = prom.CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = prom.Counter("fusion_requests", "HTTP requests, by route, mode (alias, tool, pass) "
                                     "and status", ["route", "mode", "status"], registry=r)
        self.request_seconds = prom.Histogram("fusion_request_seconds", "HTTP request latency, by route and mode",
                                              ["route", "mode"], buckets=LATENCY_BUCKETS, registry=r)
        self.fused_runs = prom.Counter("fusion_fused_runs", "Fused runs (panel, then judge), by status and "
                                       "failure reason", ["status", "failure_reason"], registry=r)
        self.fused_seconds = prom.Histogram("fusion_fused_run_seconds", "Fused run latency (panel and judge)",
                                            buckets=LATENCY_BUCKETS, registry=r)
        self.panelist_failures = prom.Counter("fusion_panelist_failures", "Panelists that failed, by reason",
                                              ["reason"], registry=r)
        self.inner_calls = prom.Counter("fusion_inner_calls", "Calls to the provider, by role and outcome",
                                        ["role", "outcome"], registry=r)
        self.inner_seconds = prom.Histogram("fusion_inner_call_seconds", "Provider call latency, by role",
                                            ["role"], buckets=LATENCY_BUCKETS, registry=r)
        self.tokens = prom.Counter("fusion_tokens", "Tokens the provider reported, by role and direction "
                                   "(input, output)", ["role", "direction"], registry=r)
        self.cost = prom.Counter("fusion_cost_usd", "Dollars the provider reported, by role (calls without a "
                                 "reported cost add nothing)", ["role"], registry=r)
        self.inflight = prom.Gauge("fusion_inflight", "Fused requests in flight (summed over live workers)",
                                   registry=r, multiprocess_mode="livesum")

    # -- the observer hooks (core.telemetry) --

    def on_event(self, kind: str, model: str, index: int | None, data: dict[str, Any]) -> None:
        if kind == "panelist_failed":
            self.panelist_failures.labels(telemetry.failure_reason(data)).inc()

    def on_fused(self, status: str, failure_reason: str | None, seconds: float) -> None:
        self.fused_runs.labels(status, failure_reason or "").inc()
        self.fused_seconds.observe(seconds)

    def on_call(self, call: Call, outcome: str) -> None:
        self.inner_calls.labels(call.stage, outcome).inc()
        self.inner_seconds.labels(call.stage).observe(call.seconds)
        if call.prompt_tokens:
            self.tokens.labels(call.stage, "input").inc(call.prompt_tokens)
        if call.completion_tokens:
            self.tokens.labels(call.stage, "output").inc(call.completion_tokens)
        if call.cost:
            self.cost.labels(call.stage).inc(call.cost)

    # -- from the proxy --

    def request_done(self, path: str, mode: str | None, status: int | None, seconds: float) -> None:
        route = route_of(path)
        self.requests.labels(route, mode or "", str(status or 0)).inc()
        self.request_seconds.labels(route, mode or "").observe(seconds)

    def inflight_changed(self, count: int) -> None:
        self.inflight.set(count)

    def exposition(self) -> tuple[bytes, str]:
        import prometheus_client as prom

        if self.multiproc_dir:
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiproc_dir)
            return prom.generate_latest(registry), prom.CONTENT_TYPE_LATEST
        return prom.generate_latest(self.registry), prom.CONTENT_TYPE_LATEST

    def worker_exit(self) -> None:
        """A worker stops: its share of the live gauges goes (multiprocess mode)."""
        if self.multiproc_dir:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid(), path=self.multiproc_dir)


_metrics: Metrics | None = None


def install() -> Metrics:
    """This process's metrics, made (and made an observer of the pipeline) on the first call."""
    global _metrics
    if _metrics is None:
        _metrics = Metrics(TelemetrySettings.from_env().multiproc_dir)
        telemetry.add_observer(_metrics)
    return _metrics


def installed() -> Metrics | None:
    return _metrics


async def metrics_endpoint(request: Request) -> Response:
    metrics = installed()
    if metrics is None:  # an app served in process keeps no metrics
        return Response("# no metrics in this process\n", media_type="text/plain; version=0.0.4")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
