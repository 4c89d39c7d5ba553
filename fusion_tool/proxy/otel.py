"""``fusion-tool serve`` as an OpenTelemetry application: a tracer provider from the standard
variables, when the ``[otel]`` extra is installed.

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) set, each
worker sends its spans over OTLP/HTTP in batches; the exporter itself reads the other
``OTEL_EXPORTER_OTLP_*`` variables (headers, timeout, compression) and the SDK reads
``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_BSP_*``. ``service.name`` is ``fusion-tool`` unless
``OTEL_SERVICE_NAME`` says otherwise. The library itself only ever uses the API
(:mod:`fusion_tool.core.telemetry`); an application embedding the proxy configures its own.
"""

from __future__ import annotations

from typing import Any

from fusion_tool.core.config import TelemetrySettings
from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool.proxy")

SERVICE_NAME = "fusion-tool"


def configure_tracing(settings: TelemetrySettings | None = None) -> Any | None:
    """Set the global tracer provider to export over OTLP/HTTP, when the settings ask for it,
    the extra is installed and no provider was set already; return it (None otherwise)."""
    settings = settings or TelemetrySettings.from_env()
    if not settings.exports_traces:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("traces_not_exported", reason="OTEL_EXPORTER_OTLP_* is set but the OpenTelemetry SDK is not "
                    "installed", fix="pip install 'fusion-tool[otel]'")
        return None
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None  # the application configured its own
    resource = Resource.create({} if settings.service_name else {"service.name": SERVICE_NAME})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("traces_exported", endpoint=settings.otlp_endpoint)
    return provider
