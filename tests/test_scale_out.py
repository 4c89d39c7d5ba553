"""Scale out: two ``fusion-tool serve`` processes sharing one real ``redis-server``, and the
workers of one ``serve`` sharing a SQLite file on this machine when there is no Redis.

Tool mode's first turn (the model calls ``fusion`` and one of the caller's tools in the same
turn) goes to one server, the caller's continuation to the other, which splices the fusion
exchange back; the in-flight cap holds across both; ``serve --workers 2`` shares its metrics;
without Redis, a continuation on either worker of ``serve --workers 2`` reads the fusion exchange.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from pathlib import Path

import httpx
import openai
import pytest

from fusion_tool.testing import Reply, ScriptedProvider, ScriptedRequest, ToolCall

from .conftest import JUDGE, PANEL, judge_behaviour, panelist
from .servers import fusion_serve, needs_redis, redis_server, serve_env

AGENT = "agent/m"
HARD = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
        "studies disagree, and what a 40-person company should conclude for its hiring policy.")
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
FUSION = {"type": "openrouter:fusion", "parameters": {"tools": []}}
CORPUS = Path(__file__).parent / "data" / "corpus"
ALIAS = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": HARD}]}


def agent(req: ScriptedRequest) -> Reply:
    """Calls fusion and the caller's get_weather in one turn; then answers from what it reads."""
    last_user = max(i for i, m in enumerate(req.messages) if m["role"] == "user")
    results = [json.loads(m["content"]) for m in req.messages[last_user + 1:] if m["role"] == "tool"]
    fused = [r for r in results if "status" in r]
    if "fusion" in req.tool_names and not results:
        return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text}),
                                 ToolCall("get_weather", {"city": "Oslo"})])
    if fused:
        return Reply(text=f"Final answer from the {fused[0]['status']} fusion and {len(results) - 1} tool result.")
    return Reply(text="An answer that never saw the panel.")


def behaviours() -> dict:
    return {PANEL[0]: panelist("Answer A."), PANEL[1]: panelist("Answer B."), PANEL[2]: panelist("Answer C."),
            JUDGE: judge_behaviour(), AGENT: agent}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A scripted provider, one redis-server and two servers against both (a shared cap of 1)."""
    tmp = tmp_path_factory.mktemp("fleet")
    provider = ScriptedProvider(behaviours())
    with provider.serve() as upstream, redis_server(tmp / "redis") as (redis_url, _):
        env = serve_env(upstream, FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE,
                        FUSION_SEARCH=f"local:{CORPUS}", FUSION_PANEL_TIMEOUT="10")
        args = ("--redis-url", redis_url, "--max-inflight", "1")
        with fusion_serve(env, *args, log=tmp / "a.log", cwd=tmp) as a, \
                fusion_serve(env, *args, log=tmp / "b.log", cwd=tmp) as b:
            yield provider, a, b, tmp
    provider.close()


@pytest.fixture
def provider(fleet) -> ScriptedProvider:
    provider = fleet[0]
    for model, behaviour in behaviours().items():
        provider.add(model, behaviour)
    provider.reset()
    return provider


def panel_requests(provider: ScriptedProvider) -> list[ScriptedRequest]:
    return [r for r in provider.requests if r.model in PANEL]


@needs_redis
def test_the_continuation_on_the_other_server_reads_the_fusion_exchange(fleet, provider):
    _, a, b, _ = fleet
    messages = [{"role": "user", "content": HARD}]
    first = httpx.post(f"{a}/v1/chat/completions", timeout=30,
                       json={"model": AGENT, "messages": messages, "tools": [WEATHER, FUSION]})
    assert first.status_code == 200, first.text
    choice = first.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert [c["function"]["name"] for c in choice["message"]["tool_calls"]] == ["get_weather"]  # only the caller's
    assert len(panel_requests(provider)) == 3
    # the caller's own loop, as every SDK user writes it, against the other server
    messages += [choice["message"], {"role": "tool", "tool_call_id": choice["message"]["tool_calls"][0]["id"],
                                     "content": '{"temp": 3}'}]
    second = httpx.post(f"{b}/v1/chat/completions", timeout=30,
                        json={"model": AGENT, "messages": messages, "tools": [WEATHER, FUSION]})
    assert second.status_code == 200, second.text
    assert second.json()["choices"][0]["message"]["content"] == "Final answer from the ok fusion and 1 tool result."
    assert len(panel_requests(provider)) == 3  # no second panel
    seen = provider.requests_for(AGENT)[-1].messages  # what the model read on server B
    roles = [(m["role"], [c["function"]["name"] for c in m.get("tool_calls") or []]) for m in seen]
    assert roles == [("user", []), ("assistant", ["fusion"]), ("tool", []), ("assistant", ["get_weather"]), ("tool", [])]
    assert json.loads(seen[2]["content"])["status"] == "ok"


@needs_redis
def test_the_inflight_cap_is_shared_by_both_servers(fleet, provider):
    _, a, b, _ = fleet
    for model in PANEL:
        provider.add(model, panelist("a slow answer", delay=1.5))
    held: dict = {}
    worker = threading.Thread(target=lambda: held.update(r=httpx.post(f"{a}/v1/chat/completions", json=ALIAS,
                                                                      timeout=30)))
    worker.start()
    try:
        deadline = time.monotonic() + 20
        while len(panel_requests(provider)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(panel_requests(provider)) == 3  # A holds the one slot now
        refused = httpx.post(f"{b}/v1/chat/completions", json=ALIAS, timeout=30)
        streamed = httpx.post(f"{b}/v1/chat/completions", json={**ALIAS, "stream": True}, timeout=30)
        plain = httpx.get(f"{b}/v1/models", timeout=30)
    finally:
        worker.join(30)
    assert refused.status_code == 429 and streamed.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_fused_requests"
    assert int(refused.headers["retry-after"]) > 0
    assert plain.status_code == 200
    assert held["r"].status_code == 200
    for model in PANEL:
        provider.add(model, panelist("a quick answer"))
    deadline = time.monotonic() + 10  # A's lease goes back as its answer goes out
    while (again := httpx.post(f"{b}/v1/chat/completions", json=ALIAS, timeout=30)).status_code == 429:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert again.status_code == 200


def _requests_by_worker(metrics_dir: Path) -> dict[str, float]:
    """fusion_requests_total as each worker process wrote it (prometheus-client's per-pid files)."""
    from prometheus_client.mmap_dict import MmapedDict

    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        values = MmapedDict.read_all_values_from_file(str(path))
        counts[path.stem] = sum(v[1] for v in values if json.loads(v[0])[0] == "fusion_requests")
    return counts


@needs_redis
def test_two_workers_of_one_server_share_redis_and_their_metrics(tmp_path):
    provider = ScriptedProvider(behaviours())
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with provider.serve() as upstream, redis_server(tmp_path / "redis") as (redis_url, _):
        env = serve_env(upstream, FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE, FUSION_SEARCH=f"local:{CORPUS}",
                        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        with fusion_serve(env, "--workers", "2", "--redis-url", redis_url, log=tmp_path / "w.log", cwd=tmp_path) as url:
            sent = 0
            with httpx.Client(base_url=url, timeout=30, headers={"connection": "close"}) as client:
                # new connections each time, until both workers have answered some (bounded)
                while sent < 6 or (sent < 40 and sum(n > 0 for n in _requests_by_worker(metrics_dir).values()) < 2):
                    assert client.post("/v1/chat/completions", json=ALIAS).status_code == 200
                    sent += 1
                by_worker = _requests_by_worker(metrics_dir)
                scrapes = [client.get("/metrics").text for _ in range(4)]  # whichever worker answers
    assert sum(n > 0 for n in by_worker.values()) == 2, by_worker  # both workers answered
    for scraped in scrapes:
        lines = scraped.splitlines()
        answered = [line for line in lines if line.startswith("fusion_requests_total{")
                    and 'mode="alias"' in line and 'status="200"' in line]
        assert len(answered) == 1 and float(answered[0].rsplit(" ", 1)[1]) == sent  # every worker's, not one's
        assert f'fusion_fused_runs_total{{failure_reason="",status="ok"}} {float(sent)}' in lines


@needs_redis
def test_a_redis_gone_mid_run_degrades_to_the_trace_messages_never_a_500(tmp_path, caplog):
    from fusion_tool import FusionConfig
    from fusion_tool.proxy import create_app, running

    caplog.set_level(logging.WARNING, logger="fusion_tool.state")
    provider = ScriptedProvider(behaviours())
    tool_request = {"model": AGENT, "messages": [{"role": "user", "content": HARD}], "tools": [WEATHER, FUSION]}
    with provider.serve() as upstream, redis_server(tmp_path / "redis") as (redis_url, redis):
        config = FusionConfig(panel=PANEL, judge=JUDGE, tools=(), panel_timeout=5, deadline=30, base_url=upstream,
                              api_key="k", max_retries=0, redis_url=redis_url)
        with running(create_app(config)) as url:
            first = httpx.post(f"{url}/chat/completions", json=tool_request, timeout=30)
            assert first.status_code == 200
            redis.terminate()  # Redis goes away with the exchange it kept
            redis.wait()
            record = first.json()["fusion"]
            call = first.json()["choices"][0]["message"]["tool_calls"][0]
            # a client continuing from the trace's messages does not need the store at all
            messages = [*record["trace"]["messages"], {"role": "tool", "tool_call_id": call["id"], "content": '{"temp": 3}'}]
            continued = httpx.post(f"{url}/chat/completions", timeout=30, json={**tool_request, "messages": messages})
            again = httpx.post(f"{url}/chat/completions", json=tool_request, timeout=30)  # new turns still run
            alias = httpx.post(f"{url}/chat/completions", json=ALIAS, timeout=30)
    assert continued.status_code == 200, continued.text
    assert continued.json()["choices"][0]["message"]["content"] == "Final answer from the ok fusion and 1 tool result."
    assert again.status_code == 200 and alias.status_code == 200
    lines = [r.getMessage() for r in caplog.records if "state_store_unavailable" in r.getMessage()]
    assert len(lines) == 1, lines  # one clear line, not one per request


# -- no Redis: the workers of one serve share a SQLite file ----------------------------------------

def _answered_by(metrics_dir: Path, before: dict[str, float]) -> str:
    """The worker whose request count went up since ``before`` (a request is counted as it ends,
    which may be just after its answer reached the client: wait for it, bounded)."""
    for _ in range(400):
        now = _requests_by_worker(metrics_dir)
        grown = [pid for pid, n in now.items() if n > before.get(pid, 0)]
        if grown:
            assert len(grown) == 1, (before, now)
            return grown[0]
        time.sleep(0.01)
    raise AssertionError(f"no worker counted the request: {before}")


def _agent_with_fresh_call_ids(req: ScriptedRequest) -> Reply:
    """:func:`agent`, with tool-call ids of its own each time, as a real model's are: the scripted
    ones restart with every ``reset``, and a continuation must not find another conversation's
    exchange under the same ids on its worker."""
    reply = agent(req)
    if reply.tool_calls:
        reply = Reply(tool_calls=[ToolCall(c.name, c.arguments, id=f"call_{uuid.uuid4().hex[:16]}")
                                  for c in reply.tool_calls])
    return reply


def test_two_workers_without_redis_continue_tool_mode_whichever_worker_gets_the_follow_up(tmp_path):
    provider = ScriptedProvider({**behaviours(), AGENT: _agent_with_fresh_call_ids})
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    log = tmp_path / "w.log"

    def ask(url: str, messages: list) -> tuple[object, str]:
        """One request on a new connection (a client of its own), as a load balancer would send it."""
        before = _requests_by_worker(metrics_dir)
        with openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=30) as client:
            completion = client.chat.completions.create(model=AGENT, messages=messages, tools=[WEATHER, FUSION])
        return completion, _answered_by(metrics_dir, before)

    with provider.serve() as upstream:
        env = serve_env(upstream, FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE, FUSION_SEARCH=f"local:{CORPUS}",
                        FUSION_PANEL_TIMEOUT="10", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        with fusion_serve(env, "--workers", "2", log=log, cwd=tmp_path) as url:
            pairs = []
            # conversations until one was continued on the other worker than its first turn (bounded)
            while len(pairs) < 40 and not any(first != second for first, second in pairs):
                messages: list = [{"role": "user", "content": HARD}]
                provider.reset()
                completion, first = ask(url, messages)
                message = completion.choices[0].message
                assert completion.choices[0].finish_reason == "tool_calls"
                assert [c.function.name for c in message.tool_calls] == ["get_weather"]  # only the caller's
                messages += [message.model_dump(exclude_none=True),
                             {"role": "tool", "tool_call_id": message.tool_calls[0].id, "content": '{"temp": 3}'}]
                continued, second = ask(url, messages)
                assert continued.choices[0].message.content == "Final answer from the ok fusion and 1 tool result."
                assert len(panel_requests(provider)) == 3  # one panel, on the first turn only
                pairs.append((first, second))
        startup = log.read_text()
    assert any(first != second for first, second in pairs), pairs  # continued on the other worker, too
    line = next(line for line in startup.splitlines() if line.startswith("fusion-tool proxy: "))
    assert line.startswith("fusion-tool proxy: 2 workers, shared state in SQLite at "), line
    state_file = Path(line.split(" at ", 1)[1])
    assert not state_file.parent.exists()  # the serve parent removed it as it exited



def test_two_workers_without_redis_share_one_inflight_cap(tmp_path):
    provider = ScriptedProvider({**behaviours(), **{model: panelist("a slow answer", delay=20) for model in PANEL}})
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with provider.serve() as upstream:
        env = serve_env(upstream, FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE, FUSION_SEARCH=f"local:{CORPUS}",
                        FUSION_PANEL_TIMEOUT="60", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        with fusion_serve(env, "--workers", "2", "--max-inflight", "1", log=tmp_path / "w.log", cwd=tmp_path) as url:
            # one fused call holds the one slot while its panel works (it is cut off when the server stops)
            threading.Thread(target=lambda: httpx.post(f"{url}/v1/chat/completions", json=ALIAS, timeout=60),
                             daemon=True).start()
            for _ in range(1000):
                if len(panel_requests(provider)) == 3:
                    break
                time.sleep(0.01)
            assert len(panel_requests(provider)) == 3
            refused: list[str] = []
            while len(refused) < 40 and len(set(refused)) < 2:  # until both workers have refused one
                before = _requests_by_worker(metrics_dir)
                answer = httpx.post(f"{url}/v1/chat/completions", json=ALIAS, timeout=60, headers={"connection": "close"})
                assert answer.status_code == 429, answer.text
                assert answer.json()["error"]["code"] == "too_many_fused_requests"
                refused.append(_answered_by(metrics_dir, before))
    assert len(set(refused)) == 2, refused  # the worker that is not running it refuses too: one cap
