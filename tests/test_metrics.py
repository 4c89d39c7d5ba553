"""Prometheus metrics at GET /metrics: scraped after real requests, behind the token rule."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from fusion_tool import FusionConfig
from fusion_tool.proxy import create_app, running
from fusion_tool.testing import Reply

from .conftest import JUDGE, PANEL

parser = pytest.importorskip("prometheus_client.parser")

HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
ALIAS = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": HARD}]}
TOKEN = "metrics-token-5e2f"


@pytest.fixture
def config(provider) -> Iterator[FusionConfig]:
    with provider.serve() as upstream:
        yield FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30,
                           base_url=upstream, api_key="k", max_retries=0)


def scrape(url: str, **kw) -> dict[tuple[str, tuple], float]:
    response = httpx.get(url, **kw)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in parser.text_string_to_metric_families(response.text) for s in family.samples}


def delta(after: dict, before: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_requests_runs_failures_tokens_cost_and_latency(config, provider):
    provider.add(PANEL[2], Reply(status=503))
    with running(create_app(config)) as url:
        root = url.removesuffix("/v1")
        before = scrape(f"{root}/metrics")
        assert httpx.post(f"{url}/chat/completions", json=ALIAS, timeout=20).status_code == 200
        assert httpx.post(f"{url}/chat/completions", json={"model": "x"}, timeout=20).status_code == 400
        after = scrape(f"{root}/metrics")
    assert delta(after, before, "fusion_requests_total", route="/chat/completions", mode="alias", status="200") == 1
    assert delta(after, before, "fusion_requests_total", route="/chat/completions", mode="", status="400") == 1
    assert delta(after, before, "fusion_request_seconds_count", route="/chat/completions", mode="alias") == 1
    assert delta(after, before, "fusion_fused_runs_total", status="ok", failure_reason="") == 1
    assert delta(after, before, "fusion_fused_run_seconds_count") == 1
    assert delta(after, before, "fusion_panelist_failures_total", reason="http_503") == 1
    assert delta(after, before, "fusion_inner_calls_total", role="panel", outcome="ok") == 2
    assert delta(after, before, "fusion_inner_calls_total", role="panel", outcome="503") == 1
    for role in ("panel", "judge", "writer"):
        assert delta(after, before, "fusion_tokens_total", role=role, direction="input") > 0
        assert delta(after, before, "fusion_tokens_total", role=role, direction="output") > 0
        assert delta(after, before, "fusion_cost_usd_total", role=role) > 0
        assert delta(after, before, "fusion_inner_call_seconds_count", role=role) >= 1
    assert after[("fusion_inflight", ())] == 0  # nothing in flight once answered


def test_in_flight_is_a_live_gauge(config, provider):
    provider.add(PANEL[0], Reply(text="slow", delay=0.5))
    with running(create_app(config)) as url:
        root = url.removesuffix("/v1")
        with httpx.Client(timeout=20) as client:
            worker = threading.Thread(target=lambda: client.post(f"{url}/chat/completions", json=ALIAS))
            worker.start()
            try:
                for _ in range(200):
                    if provider.requests_for(PANEL[0]):
                        break
                    threading.Event().wait(0.01)
                during = scrape(f"{root}/metrics")
            finally:
                worker.join()
    assert during[("fusion_inflight", ())] == 1


def test_metrics_follow_the_token_rule(config):
    with running(create_app(config, token=TOKEN)) as url:
        root = url.removesuffix("/v1")
        assert httpx.get(f"{root}/metrics").status_code == 401
        scrape(f"{root}/metrics", headers={"authorization": f"Bearer {TOKEN}"})


async def test_metrics_are_refused_beyond_loopback_without_a_token(config, monkeypatch):
    monkeypatch.delenv("FUSION_PROXY_TOKEN", raising=False)
    app = create_app(config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://10.1.2.3:8000") as client:
        assert (await client.get("/metrics")).status_code == 403
