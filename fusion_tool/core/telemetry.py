"""Traces and observers of fused calls: OpenTelemetry spans, and hooks for metrics.

The library uses whatever tracer provider the application configured, through the
OpenTelemetry API alone (``fusion-tool serve`` configures one from ``OTEL_EXPORTER_OTLP_*``);
without the API installed, or with no provider set, nothing is traced. The span tree of one
fused call::

    fusion                          one per fused call (alias mode: the writer's answer included)
      fusion.panelist  x N          one per seat: model, outcome, tokens, cost
        chat <model>                each inner call: GenAI semantic-convention attributes
      fusion.judge
        chat <model>
      fusion.writer                 alias mode
        chat <model>

The pipeline is not rewritten for it: the ``fusion`` span comes from :func:`traced_run` (a
decorator on the pipeline's ``run``) or :func:`fused` (alias mode's whole call), the stage spans
open and close on the progress events (:func:`on_event`, called by ``core.events.Emitter``),
and the inner calls' spans come from :func:`traced_complete` / :func:`traced_stream`, decorators
on ``Upstream.complete`` / ``Upstream.stream``.

Observers (:func:`add_observer`) hear the same moments without OpenTelemetry: the proxy's
Prometheus metrics are one.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from fusion_tool.core.log import get_logger
from fusion_tool.core.usage import Call

log = get_logger("fusion_tool.telemetry")

TRACER_NAME = "fusion_tool"

#: the stage spans, by the events that open them
_STAGES = {"panelist": "fusion.panelist", "judge": "fusion.judge", "writer": "fusion.writer"}


class Observer(Protocol):
    """What an observer may hear (each method optional)."""

    def on_event(self, kind: str, model: str, index: int | None, data: dict[str, Any]) -> None: ...

    def on_fused(self, status: str, failure_reason: str | None, seconds: float) -> None: ...

    def on_call(self, call: Call, outcome: str) -> None: ...


_observers: list[Any] = []


def add_observer(observer: Any) -> None:
    """Tell ``observer`` of every fused call, progress event and inner call in this process."""
    if observer not in _observers:
        _observers.append(observer)


def remove_observer(observer: Any) -> None:
    if observer in _observers:
        _observers.remove(observer)


def _notify(method: str, *args: Any) -> None:
    for observer in list(_observers):
        hook = getattr(observer, method, None)
        if hook is not None:
            try:
                hook(*args)
            except Exception:  # an observer's bug must not break a call
                log.exception("observer_failed", hook=method)


# -- the OpenTelemetry API, when it is there and a provider is set ----------------------------

_api: Any = None
_tracer_cache: tuple[Any, Any] | None = None


def _trace() -> Any:
    """The ``opentelemetry.trace`` module, or False when it is not installed."""
    global _api
    if _api is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _api = False
        else:
            _api = trace
    return _api


def tracer() -> Any:
    """The tracer of the application's provider, or None when nothing would record."""
    global _tracer_cache
    trace = _trace()
    if not trace:
        return None
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):  # no provider configured: no-op
        return None
    if _tracer_cache is None or _tracer_cache[0] is not provider:
        _tracer_cache = (provider, provider.get_tracer(TRACER_NAME))
    return _tracer_cache[1]


def _set_error(span: Any, description: str | None, error_type: str | None = None) -> None:
    trace = _trace()
    span.set_status(trace.Status(trace.StatusCode.ERROR, description))
    if error_type:
        span.set_attribute("error.type", error_type)


# -- one fused call: its span, and the stage spans the events open -----------------------------

@dataclass
class _Fused:
    """One fused call in progress.

    Attributes:
        span: The ``fusion`` span, or None when nothing records.
        started: When the call began (``time.monotonic()``).
        stages: The stage spans still open, by stage and seat.
    """

    span: Any
    started: float = field(default_factory=time.monotonic)
    stages: dict[tuple[str, int | None], Any] = field(default_factory=dict)

    def close_stages(self, outcome: str) -> None:
        for span in self.stages.values():
            span.set_attribute("fusion.outcome", outcome)
            _set_error(span, f"{outcome}: the stage did not finish")
            span.end()
        self.stages.clear()


_FUSED: contextvars.ContextVar[_Fused | None] = contextvars.ContextVar("fusion_tool_fused", default=None)
#: the stage span the current task is in (a panelist's task, the judge's, the writer's)
_STAGE: contextvars.ContextVar[tuple[str, Any] | None] = contextvars.ContextVar("fusion_tool_stage", default=None)


def _open_fused(attributes: dict[str, Any]) -> _Fused:
    t = tracer()
    span = t.start_span("fusion", attributes=attributes) if t is not None else None
    return _Fused(span)


@contextmanager
def _current(fused: _Fused) -> Iterator[None]:
    """``fused`` is the fused call of the code inside (its span the current one)."""
    token = _FUSED.set(fused)
    stage = _STAGE.set(None)
    otel = None
    if fused.span is not None:
        trace = _trace()
        from opentelemetry import context

        otel = context.attach(trace.set_span_in_context(fused.span))
    try:
        yield
    finally:
        if otel is not None:
            from opentelemetry import context

            context.detach(otel)
        _STAGE.reset(stage)
        _FUSED.reset(token)


def _finish_fused(fused: _Fused, *, error: BaseException | None = None, usage: Any = None) -> None:
    fused.close_stages("error" if error is not None else "unfinished")
    span = fused.span
    if span is None:
        return
    if usage is not None:
        _usage_attributes(span, usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("cost"))
    if error is not None:
        _set_error(span, f"{type(error).__name__}: {error}", getattr(error, "failure_reason", None)
                   or type(error).__name__)
    span.end()


def _result_attributes(fused: _Fused, result: Any) -> None:
    span = fused.span
    if span is None:
        return
    span.set_attribute("fusion.status", result.status)
    span.set_attribute("fusion.responses", len(result.responses))
    span.set_attribute("fusion.failed_models", len(result.failed_models))
    if result.failure_reason:
        span.set_attribute("fusion.failure_reason", result.failure_reason)
        _set_error(span, result.error, result.failure_reason)
    usage = result.usage
    _usage_attributes(span, usage.prompt_tokens, usage.completion_tokens, usage.cost)


def _usage_attributes(span: Any, input_tokens: Any, output_tokens: Any, cost: Any) -> None:
    if input_tokens is not None:
        span.set_attribute("gen_ai.usage.input_tokens", int(input_tokens))
    if output_tokens is not None:
        span.set_attribute("gen_ai.usage.output_tokens", int(output_tokens))
    if cost is not None:
        span.set_attribute("fusion.cost", float(cost))


def traced_run(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Decorates the pipeline's ``run``: a ``fusion`` span around it (unless a fused call is
    open already, alias mode's), its result's status, counts and usage on that span, and
    ``on_fused`` for the observers."""

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        joined = _FUSED.get()
        fused = joined or _open_fused({"fusion.mode": "pipeline"})
        started = time.monotonic()
        try:
            with _current(fused):
                result = await fn(*args, **kwargs)
        except BaseException as exc:
            if joined is None:
                _finish_fused(fused, error=exc)
            raise
        _result_attributes(fused, result)
        _notify("on_fused", result.status, result.failure_reason, time.monotonic() - started)
        if joined is None:
            _finish_fused(fused)
        return result

    return run


def fused(call: Any, *, mode: str) -> Any:
    """A whole fused call (alias mode: panel, judge and the writer's answer) in one ``fusion``
    span: ``call`` is a mode's coroutine (a completion's JSON) or its chunk iterator."""
    if hasattr(call, "__aiter__"):
        return _fused_stream(call, mode)
    return _fused_coroutine(call, mode)


async def _fused_coroutine(call: Awaitable[Any], mode: str) -> Any:
    fused = _open_fused({"fusion.mode": mode})
    try:
        with _current(fused):
            completion = await call
    except BaseException as exc:
        _finish_fused(fused, error=exc)
        raise
    _finish_fused(fused, usage=completion.get("usage"))
    return completion


async def _fused_stream(chunks: AsyncIterator[Any], mode: str) -> AsyncIterator[Any]:
    # each step runs with the fused call current, and never across a yield: whoever drives (or
    # closes) this iterator, from whatever task, finds the context as it left it
    fused = _open_fused({"fusion.mode": mode})
    usage, error = None, None
    try:
        while True:
            with _current(fused):
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    break
            usage = chunk.get("usage") or usage
            yield chunk
    except BaseException as exc:
        error = exc
        raise
    finally:
        try:
            with _current(fused):
                await chunks.aclose()  # type: ignore[attr-defined]
        finally:
            _finish_fused(fused, error=error if not isinstance(error, GeneratorExit) else None, usage=usage)


# -- the stage spans, from the progress events --------------------------------------------------

def failure_reason(data: dict[str, Any]) -> str:
    """A short, bounded label for why a stage failed (a metric label, a span attribute)."""
    status = data.get("status_code")
    if status:
        return f"http_{status}"
    error = str(data.get("error") or "").lower()
    for needle, reason in (("deadline", "deadline"), ("straggler", "straggler"), ("timed out", "timeout"),
                           ("cancelled", "cancelled"), ("connection", "connection"), ("empty", "empty_answer"),
                           ("budget", "budget")):
        if needle in error:
            return reason
    return "error"


def on_event(kind: str, model: str, index: int | None, data: dict[str, Any]) -> None:
    """A progress event: opens or closes its stage's span; observers hear it."""
    _notify("on_event", kind, model, index, data)
    stage, _, step = kind.partition("_")
    fused = _FUSED.get()
    if stage not in _STAGES or fused is None or fused.span is None:
        return
    key = (stage, index)
    if step == "start":
        t = tracer()
        if t is None:
            return
        trace = _trace()
        attributes: dict[str, Any] = {"fusion.model": model, "gen_ai.request.model": model}
        if index is not None:
            attributes["fusion.seat"] = index
        span = t.start_span(_STAGES[stage], context=trace.set_span_in_context(fused.span), attributes=attributes)
        fused.stages[key] = span
        _STAGE.set((stage, span))
        return
    span = fused.stages.get(key)
    if span is None:
        return
    if step == "tool":
        span.add_event("fusion.tool", {"fusion.tool": str(data.get("tool"))})
        return
    if step not in ("done", "failed"):
        return
    del fused.stages[key]
    outcome = "ok" if step == "done" else failure_reason(data)
    span.set_attribute("fusion.outcome", outcome)
    _usage_attributes(span, None, None, data.get("cost"))
    if data.get("tokens") is not None:
        span.set_attribute("fusion.tokens", int(data["tokens"]))
    if data.get("seconds") is not None:
        span.set_attribute("fusion.seconds", float(data["seconds"]))
    if step == "failed":
        _set_error(span, str(data.get("error") or "failed"), outcome)
    span.end()
    current = _STAGE.get()
    if current is not None and current[1] is span:
        _STAGE.set(None)


# -- one span per inner call (GenAI semantic conventions) ---------------------------------------

def _provider_name(base_url: str) -> str:
    host = (urlsplit(base_url).hostname or "").lower()
    return "openrouter" if host.endswith("openrouter.ai") else "openai"


def _call_span(upstream: Any, stage: str, params: dict[str, Any]) -> Any:
    t = tracer()
    if t is None:
        return None
    trace = _trace()
    model = str(params.get("model"))
    parts = urlsplit(upstream.base_url)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": _provider_name(upstream.base_url),
        "gen_ai.system": _provider_name(upstream.base_url),
        "gen_ai.request.model": model,
        "fusion.stage": stage,
    }
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    if parts.port:
        attributes["server.port"] = parts.port
    for name, attribute in (("max_completion_tokens", "gen_ai.request.max_tokens"),
                            ("max_tokens", "gen_ai.request.max_tokens"),
                            ("temperature", "gen_ai.request.temperature"), ("top_p", "gen_ai.request.top_p"),
                            ("seed", "gen_ai.request.seed")):
        if isinstance(params.get(name), int | float) and not isinstance(params.get(name), bool):
            attributes[attribute] = params[name]
    if params.get("stream"):
        attributes["gen_ai.request.stream"] = True
    current = _STAGE.get()
    parent = trace.set_span_in_context(current[1]) if current is not None else None  # else the current span
    return t.start_span(f"chat {model}", context=parent, kind=trace.SpanKind.CLIENT, attributes=attributes)


def _response_attributes(span: Any, response: dict[str, Any]) -> None:
    if response.get("id"):
        span.set_attribute("gen_ai.response.id", str(response["id"]))
    if response.get("model"):
        span.set_attribute("gen_ai.response.model", str(response["model"]))
    reasons = [c["finish_reason"] for c in response.get("choices") or [] if c.get("finish_reason")]
    if reasons:
        span.set_attribute("gen_ai.response.finish_reasons", [str(r) for r in reasons])


def _error_type(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return str(status) if status else type(exc).__name__


def traced_complete(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Decorates ``Upstream.complete(stage, **params)``: a span per call, ``on_call`` for observers."""

    @functools.wraps(fn)
    async def complete(self: Any, stage: str, **kwargs: Any) -> Any:
        span = _call_span(self, stage, kwargs)
        started = time.monotonic()
        try:
            completion, call = await fn(self, stage, **kwargs)
        except BaseException as exc:
            failed = Call(stage, str(kwargs.get("model")), seconds=time.monotonic() - started)
            _notify("on_call", failed, _error_type(exc) if isinstance(exc, Exception) else "cancelled")
            if span is not None:
                _set_error(span, str(exc), _error_type(exc))
                span.end()
            raise
        _notify("on_call", call, "ok")
        if span is not None:
            _response_attributes(span, completion)
            _usage_attributes(span, call.prompt_tokens, call.completion_tokens, call.cost)
            span.end()
        return completion, call

    return complete


def traced_stream(fn: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    """Decorates ``Upstream.stream(**params)``: a span per streamed call, from its first request
    to its last chunk, with the usage its last chunk reports."""

    @functools.wraps(fn)
    async def stream(self: Any, **kwargs: Any) -> AsyncIterator[Any]:
        current = _STAGE.get()
        stage = "writer" if current is not None and current[0] == "writer" else "caller"
        span = _call_span(self, stage, {**kwargs, "stream": True})
        started = time.monotonic()
        usage, last, outcome = None, None, "ok"
        chunks = fn(self, **kwargs)
        try:
            async for chunk in chunks:
                last = chunk
                usage = chunk.get("usage") or usage
                if span is not None and chunk.get("choices"):
                    _response_attributes(span, chunk)
                yield chunk
        except BaseException as exc:
            outcome = _error_type(exc) if isinstance(exc, Exception) else "cancelled"
            if span is not None and isinstance(exc, Exception):
                _set_error(span, str(exc), outcome)
            raise
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]
            call = Call.from_usage(stage, str(kwargs.get("model")), usage, time.monotonic() - started)
            _notify("on_call", call, outcome)
            if span is not None:
                if last is not None and last.get("id"):
                    span.set_attribute("gen_ai.response.id", str(last["id"]))
                _usage_attributes(span, call.prompt_tokens if usage is not None else None,
                                  call.completion_tokens if usage is not None else None, call.cost)
                span.end()

    return stream


def flush(timeout_millis: int = 5000) -> None:
    """Export the spans still buffered (a server shutting down); nothing without a provider."""
    trace = _trace()
    if trace:
        force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
        if force_flush is not None:
            force_flush(timeout_millis)
