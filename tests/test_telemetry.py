"""OpenTelemetry: the span tree of a fused call (the SDK's in-memory exporter), the caller's
``traceparent`` continued, and a real OTLP/HTTP export from ``fusion-tool serve`` to a receiver
on loopback."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fusion_tool import FusionConfig
from fusion_tool.core import telemetry
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply, ToolCall

from .conftest import JUDGE, PANEL
from .servers import fusion_serve, serve_env

sdk = pytest.importorskip("opentelemetry.sdk.trace", reason="the [otel] extra is not installed")

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
ALIAS = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": HARD}]}
AGENT = "agent/m"
CORPUS = Path(__file__).parent / "data" / "corpus"


def _reset_global_provider() -> None:
    from opentelemetry import trace
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()  # the SDK's own tests do the same between cases
    trace._TRACER_PROVIDER = None


@pytest.fixture
def spans() -> Iterator[object]:
    """The application configured a tracer provider: its spans, in memory."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_global_provider()
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        provider.shutdown()
        _reset_global_provider()


@pytest.fixture
def proxy(provider) -> Iterator[str]:
    with provider.serve() as upstream:
        config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30,
                              base_url=upstream, api_key="k", max_retries=0)
        with running(create_app(config, keepalive_seconds=0.1)) as url:
            yield url


def tree(finished) -> dict:
    by_id = {s.context.span_id: s for s in finished}
    children: dict = {}
    for s in finished:
        children.setdefault(s.parent.span_id if s.parent else None, []).append(s)
    return {"by_id": by_id, "children": children}


def kids(t: dict, span, name: str | None = None) -> list:
    return [c for c in t["children"].get(span.context.span_id, []) if name is None or c.name == name]


def wait_for_spans(exporter, name: str) -> list:
    deadline = time.monotonic() + 5  # the server span ends as the response's last byte goes out
    while time.monotonic() < deadline:
        finished = exporter.get_finished_spans()
        if any(s.name == name for s in finished):
            return list(finished)
        time.sleep(0.01)
    return list(exporter.get_finished_spans())


def test_without_a_configured_provider_nothing_is_traced():
    assert telemetry.tracer() is None


def test_one_alias_call_is_one_span_tree_in_the_callers_trace(spans, proxy, provider):
    provider.add(PANEL[2], Reply(status=500, json={"error": {"message": "panel down"}}))
    response = httpx.post(f"{proxy}/chat/completions", json=ALIAS, headers={"traceparent": TRACEPARENT}, timeout=20)
    assert response.status_code == 200
    finished = wait_for_spans(spans, "POST /chat/completions")
    assert {format(s.context.trace_id, "032x") for s in finished} == {TRACE_ID}  # one trace: the caller's
    t = tree(finished)
    (server,) = [s for s in finished if s.name == "POST /chat/completions"]
    assert format(server.parent.span_id, "016x") == PARENT_ID and server.parent.is_remote
    assert server.attributes["fusion.mode"] == "alias" and server.attributes["http.response.status_code"] == 200
    (fusion,) = kids(t, server, "fusion")
    assert fusion.attributes["fusion.mode"] == "alias" and fusion.attributes["fusion.status"] == "ok"
    assert fusion.attributes["fusion.failed_models"] == 1
    assert fusion.attributes["gen_ai.usage.input_tokens"] > 0 and fusion.attributes["fusion.cost"] > 0
    assert sorted(c.name for c in kids(t, fusion)) == ["fusion.judge", "fusion.panelist", "fusion.panelist",
                                                       "fusion.panelist", "fusion.writer"]
    seats = sorted(kids(t, fusion, "fusion.panelist"), key=lambda s: s.attributes["fusion.seat"])
    assert [s.attributes["gen_ai.request.model"] for s in seats] == list(PANEL)
    assert [s.attributes["fusion.outcome"] for s in seats] == ["ok", "ok", "http_500"]
    assert seats[2].status.status_code.name == "ERROR" and "HTTP 500" in seats[2].status.description
    for seat in seats[:2]:
        assert seat.attributes["fusion.tokens"] > 0 and seat.attributes["fusion.cost"] > 0
    for stage in [*seats, *kids(t, fusion, "fusion.judge"), *kids(t, fusion, "fusion.writer")]:
        (call,) = kids(t, stage)  # one inner call under each stage (no retries here)
        model = stage.attributes["gen_ai.request.model"]
        assert call.name == f"chat {model}" and call.kind.name == "CLIENT"
        assert call.attributes["gen_ai.operation.name"] == "chat"
        assert call.attributes["gen_ai.request.model"] == model
        assert call.attributes["server.address"] == "127.0.0.1"
        if stage is not seats[2]:
            assert call.attributes["gen_ai.usage.input_tokens"] > 0
            assert call.attributes["gen_ai.usage.output_tokens"] > 0
            assert call.attributes["gen_ai.response.finish_reasons"] == ("stop",)
        else:
            assert call.attributes["error.type"] == "500"
    assert kids(t, fusion, "fusion.writer")[0].attributes["fusion.outcome"] == "ok"


def test_a_streamed_alias_call_closes_its_spans_when_the_stream_ends(spans, proxy):
    body = {**ALIAS, "stream": True, "stream_options": {"include_usage": True}}
    response = httpx.post(f"{proxy}/chat/completions", json=body, timeout=20)
    assert response.status_code == 200 and response.text.endswith("data: [DONE]\n\n")
    finished = wait_for_spans(spans, "POST /chat/completions")
    t = tree(finished)
    (fusion,) = [s for s in finished if s.name == "fusion"]
    (writer,) = kids(t, fusion, "fusion.writer")
    (call,) = kids(t, writer)
    assert call.attributes["gen_ai.request.stream"] is True and call.attributes["gen_ai.usage.output_tokens"] > 0
    assert fusion.attributes["gen_ai.usage.output_tokens"] > 0
    assert len(kids(t, fusion, "fusion.panelist")) == 3


def test_tool_mode_traces_the_callers_model_beside_the_fusion_call(spans, proxy, provider):
    def agent(req):
        if any(m["role"] == "tool" for m in req.messages):
            return Reply(text="Final answer.")
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text})])

    provider.add(AGENT, agent)
    body = {"model": AGENT, "messages": ALIAS["messages"], "tools": [{"type": "openrouter:fusion"}]}
    assert httpx.post(f"{proxy}/chat/completions", json=body, timeout=20).status_code == 200
    finished = wait_for_spans(spans, "POST /chat/completions")
    t = tree(finished)
    (server,) = [s for s in finished if s.name == "POST /chat/completions"]
    assert server.attributes["fusion.mode"] == "tool"
    callers = kids(t, server, f"chat {AGENT}")
    assert len(callers) == 2 and {c.attributes["fusion.stage"] for c in callers} == {"caller"}
    (fusion,) = kids(t, server, "fusion")
    assert sorted(c.name for c in kids(t, fusion)) == ["fusion.judge", *["fusion.panelist"] * 3]


# -- a real export: fusion-tool serve, OTLP/HTTP, a receiver on loopback ----------------------------

class _Receiver(http.server.BaseHTTPRequestHandler):
    posts: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).posts.append((self.path, self.headers.get("content-type", ""), body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    _Receiver.posts = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.posts
    finally:
        server.shutdown()
        server.server_close()


def test_serve_exports_the_span_tree_over_otlp_http(tmp_path, provider, receiver):
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the [otel] extra is not installed")
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    endpoint, posts = receiver
    with provider.serve() as upstream:
        env = serve_env(upstream, FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE, FUSION_SEARCH=f"local:{CORPUS}",
                        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_BSP_SCHEDULE_DELAY="50")
        with fusion_serve(env, log=tmp_path / "serve.log", cwd=tmp_path) as url:
            response = httpx.post(f"{url}/v1/chat/completions", json=ALIAS, headers={"traceparent": TRACEPARENT},
                                  timeout=20)
            assert response.status_code == 200
            names: list[str] = []
            deadline = time.monotonic() + 10
            while "POST /chat/completions" not in names and time.monotonic() < deadline:
                time.sleep(0.05)
                names, resources, traces = [], set(), set()
                for path, content_type, body in list(posts):
                    assert path == "/v1/traces" and content_type == "application/x-protobuf"
                    for rs in ExportTraceServiceRequest.FromString(body).resource_spans:
                        resources |= {(a.key, a.value.string_value) for a in rs.resource.attributes}
                        for ss in rs.scope_spans:
                            names += [s.name for s in ss.spans]
                            traces |= {s.trace_id.hex() for s in ss.spans}
    assert sorted(n for n in names if n.startswith("fusion")) == ["fusion", "fusion.judge", *["fusion.panelist"] * 3,
                                                                 "fusion.writer"]
    assert sorted(n for n in names if n.startswith("chat ")) == sorted([f"chat {m}" for m in PANEL] + [f"chat {JUDGE}"] * 2)
    assert ("service.name", "fusion-tool") in resources
    assert traces == {TRACE_ID}
