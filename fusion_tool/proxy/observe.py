"""Each request, observed: a server span continuing the caller's trace, and the request metrics.

An incoming W3C ``traceparent`` (and ``tracestate``, ``baggage``: whatever propagator the
application set) makes the request's span, and so the ``fusion`` span and every inner call's
under it, part of the caller's trace (health probes and metric scrapes are not traced). Without a tracer provider nothing is traced; without
:func:`fusion_tool.proxy.metrics.install` (an app served in process) nothing is counted.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from fusion_tool.core import telemetry
from fusion_tool.proxy import metrics
from fusion_tool.proxy.watched import Watched

#: probes and scrapes: counted, never traced (a trace each would bury the fused calls)
UNTRACED = frozenset({"/healthz", "/metrics"})


def _server_span(scope: Scope) -> tuple[Any, Any]:
    """The request's span and the context token to detach, or ``(None, None)``."""
    t = telemetry.tracer()
    route = metrics.route_of(scope["path"])
    if t is None or route in UNTRACED:
        return None, None
    from opentelemetry import context, propagate, trace

    carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
    parent = propagate.extract(carrier)
    span = t.start_span(f"{scope['method']} {route}", context=parent, kind=trace.SpanKind.SERVER,
                        attributes={"http.request.method": scope["method"], "url.path": scope["path"],
                                    "http.route": route})
    return span, context.attach(trace.set_span_in_context(span, parent))


class Observe(Watched):
    def begin(self, scope: Scope) -> tuple[Any, Any]:
        return _server_span(scope)

    def end(self, scope: Scope, begun: Any, status: int | None, seconds: float) -> None:
        span, token = begun
        mode = (scope.get("state") or {}).get("mode")
        m = metrics.installed()
        if m is not None:
            m.request_done(scope["path"], mode, status, seconds)
        if span is not None:
            from opentelemetry import context, trace

            if mode:
                span.set_attribute("fusion.mode", mode)
            if status is not None:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(trace.Status(trace.StatusCode.ERROR))
            span.end()
            context.detach(token)
