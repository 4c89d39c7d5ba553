"""Scale out, measured: 200 concurrent clients against ``fusion-tool serve --workers 2`` sharing
one ``redis-server``, all on loopback against the scripted provider.

    python benchmarks/scale_out.py                 # 200 concurrent; JSON in benchmarks/results/scale_out.json
    python benchmarks/scale_out.py --concurrency 20 --out /tmp/x   # a small run

Three phases, each with every request started at once and bounded by a timeout:

* ``alias``: N alias-mode requests (a panel of 3, the judge, the writer; 0.2 s each, scripted).
* ``tool``: N tool-mode conversations: the model calls ``fusion`` and the caller's
  ``get_weather`` in one turn, then the caller continues on a new connection (either worker may
  take it); a continuation that answers from the fusion result proves the exchange was spliced
  back from Redis.
* ``capped``: N alias requests against the same two workers restarted with a shared cap of N/2
  (``--max-inflight``): how many were answered, how many got 429, and the most leases Redis
  held at once.
* ``alias_without_redis``: the ``alias`` phase again on two workers sharing nothing, for what
  Redis costs.

Figures: latency percentiles, wall time and throughput per phase, statuses, spliced
continuations, and what ``/metrics`` and Redis report afterwards. No figure is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DELAY = 0.2
PANEL = [f"bench/p{i}@{DELAY}" for i in range(1, 4)]
JUDGE = f"bench/judge@{DELAY}"
AGENT = f"bench/agent@{DELAY}"
QUESTION = ("Survey the evidence on whether remote work lowers productivity in software teams, where the "
            "studies disagree, and what a 40-person company should conclude for its hiring policy.")
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
FUSION_TOOL = {"type": "openrouter:fusion", "parameters": {"tools": []}}
ALIAS = {"model": "openrouter/fusion", "messages": [{"role": "user", "content": QUESTION}],
         "plugins": [{"id": "fusion", "tools": []}]}
SPLICED = "Final answer from the ok fusion."
TIMEOUT = 120.0  # seconds any one request may take
CTX = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _behaviour(req: Any) -> Any:
    from fusion_tool.testing import Reply, ToolCall

    delay = float(req.model.rpartition("@")[2])
    if "judge" in req.model:
        if any(m.get("role") == "tool" for m in req.messages):
            return Reply(text="The fused answer.", delay=delay)
        return Reply(json={"consensus": ["a"], "contradictions": [], "partial_coverage": [], "unique_insights": [],
                           "blind_spots": []}, delay=delay)
    if "agent" in req.model:
        tools = [json.loads(m["content"]) for m in req.messages if m.get("role") == "tool"]
        if "fusion" in req.tool_names and not tools:
            return Reply(tool_calls=[ToolCall("fusion", {"prompt": req.last_user_text}),
                                     ToolCall("get_weather", {"city": "Oslo"})], delay=delay)
        fused = [t for t in tools if isinstance(t, dict) and "status" in t]
        return Reply(text=SPLICED if fused else "An answer that never saw the panel.", delay=delay)
    return Reply(text="A panelist's answer about remote work and productivity. " * 8, delay=delay)


def _provider_main(conn: Any) -> None:
    from fusion_tool.testing import ScriptedProvider

    provider = ScriptedProvider(default=_behaviour)
    with provider.serve() as base_url:
        conn.send(base_url)
        while conn.recv() != "stop":
            provider.reset()
            conn.send("ok")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def provider() -> Iterator[tuple[str, Any]]:
    parent, child = CTX.Pipe()
    process = CTX.Process(target=_provider_main, args=(child,), daemon=True)
    process.start()
    try:
        yield parent.recv(), process
    finally:
        parent.send("stop")
        process.join(5)
        if process.is_alive():
            process.terminate()


@contextlib.contextmanager
def redis(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close())
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def fleet(upstream: str, redis_url: str | None, max_inflight: int, workdir: Path) -> Iterator[tuple[str, Any]]:
    """``fusion-tool serve --workers 2`` sharing ``redis_url`` (None: none); stopped (SIGTERM) on exit."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUSION_", "OTEL_", "PROMETHEUS_"))}
    env.update(FUSION_BASE_URL=upstream, FUSION_API_KEY="bench", FUSION_PANEL=",".join(PANEL), FUSION_JUDGE=JUDGE,
               FUSION_LOG_LEVEL="error")
    log = open(workdir / f"serve-{max_inflight}-{'redis' if redis_url else 'alone'}.log", "w")
    shared = ["--redis-url", redis_url] if redis_url else []
    process = subprocess.Popen([sys.executable, "-m", "fusion_tool.cli", "serve", "--port", str(port), "--workers",
                                "2", *shared, "--max-inflight", str(max_inflight), "--graceful-timeout", "5"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close())
        time.sleep(1.0)  # both workers up, not only the first
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait(probe: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            probe()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    values = sorted(values)

    def at(q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 3)

    return {"p50": round(statistics.median(values), 3), "p95": at(0.95), "p99": at(0.99), "max": round(values[-1], 3)}


async def _post(session: Any, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None, float]:
    import aiohttp

    started = time.perf_counter()
    try:
        async with session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as response:
            data = await response.json(content_type=None)
            return response.status, data, time.perf_counter() - started
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return 0, {"error": type(exc).__name__}, time.perf_counter() - started


def _summary(results: list[tuple[int, Any, float]], wall: float) -> dict[str, Any]:
    ok = [seconds for status, _, seconds in results if status == 200]
    return {"requests": len(results), "statuses": dict(Counter(str(s) for s, _, _ in results)),
            "wall_seconds": round(wall, 3), "answered_per_second": round(len(ok) / wall, 1) if wall else None,
            "latency_seconds": percentiles(ok)}


async def alias_phase(base: str, n: int) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        results = await asyncio.gather(*(_post(session, f"{base}/v1/chat/completions", ALIAS) for _ in range(n)))
        return _summary(list(results), time.perf_counter() - started)


async def _conversation(base: str) -> tuple[tuple[int, Any, float], tuple[int, Any, float]]:
    import aiohttp

    messages = [{"role": "user", "content": QUESTION}]
    body = {"model": AGENT, "tools": [WEATHER, FUSION_TOOL]}
    # one connection per turn: the continuation goes to whichever worker accepts it
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        first = await _post(session, f"{base}/v1/chat/completions", {**body, "messages": messages})
        if first[0] != 200:
            return first, (0, None, 0.0)
        message = first[1]["choices"][0]["message"]
        messages += [message, {"role": "tool", "tool_call_id": message["tool_calls"][0]["id"], "content": '{"temp": 3}'}]
        second = await _post(session, f"{base}/v1/chat/completions", {**body, "messages": messages})
        return first, second


async def tool_phase(base: str, n: int) -> dict[str, Any]:
    started = time.perf_counter()
    pairs = await asyncio.gather(*(_conversation(base) for _ in range(n)))
    wall = time.perf_counter() - started
    firsts, seconds = [p[0] for p in pairs], [p[1] for p in pairs]
    spliced = sum(1 for status, data, _ in seconds
                  if status == 200 and data["choices"][0]["message"]["content"] == SPLICED)
    return {"conversations": n, "first_turn": _summary(firsts, wall), "continuation": _summary(seconds, wall),
            "continuations_spliced": spliced, "wall_seconds": round(wall, 3)}


def scrape(base: str) -> dict[str, float]:
    import httpx

    totals: Counter[str] = Counter()
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith(("fusion_requests_total", "fusion_fused_runs_total", "fusion_panelist_failures_total")):
            name, _, value = line.rpartition(" ")
            totals[name] += float(value)
    return dict(totals)


def redis_figures(url: str) -> dict[str, Any]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        info = client.info("memory")
        return {"keys": client.dbsize(), "used_memory_mb": round(info["used_memory"] / 2**20, 2)}
    finally:
        client.close()


@contextlib.contextmanager
def peak_leases(url: str) -> Iterator[dict[str, int]]:
    """The most in-flight leases Redis held at once while inside (sampled every 5 ms)."""
    import threading

    import redis

    client = redis.Redis.from_url(url)
    seen = {"peak_leases_held": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            seen["peak_leases_held"] = max(seen["peak_leases_held"], client.zcard("fusion:lease:inflight"))
            stop.wait(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()
        client.close()


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    n = args.concurrency
    out: dict[str, Any] = {"benchmark": "scale_out", "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                           "machine": machine(), "concurrency": n, "workers": 2, "scripted_delay_seconds": DELAY,
                           "panel": PANEL, "judge": JUDGE, "critical_path_seconds": 3 * DELAY}
    with tempfile.TemporaryDirectory() as tmp, provider() as (upstream, _), redis(Path(tmp)) as redis_url:
        with fleet(upstream, redis_url, max_inflight=10 * n, workdir=Path(tmp)) as (base, _):
            asyncio.run(alias_phase(base, 5))  # warm both workers' pools
            out["alias"] = asyncio.run(alias_phase(base, n))
            out["tool"] = asyncio.run(tool_phase(base, n))
            out["metrics_after"] = scrape(base)
            out["redis_after"] = redis_figures(redis_url)
        with fleet(upstream, redis_url, max_inflight=n // 2, workdir=Path(tmp)) as (base, _):
            asyncio.run(alias_phase(base, 4))  # warm, as above
            with peak_leases(redis_url) as peak:
                capped = asyncio.run(alias_phase(base, n))
            out["capped"] = {"max_inflight": n // 2, **peak, **capped}
        with fleet(upstream, None, max_inflight=10 * n, workdir=Path(tmp)) as (base, _):
            asyncio.run(alias_phase(base, 4))
            out["alias_without_redis"] = asyncio.run(alias_phase(base, n))  # the same load, nothing shared
        # a fallback to in-process state would have said so in the servers' logs
        out["state_store_unavailable_lines"] = sum(path.read_text().count("state_store_unavailable")
                                                   for path in Path(tmp).glob("serve-*.log"))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "scale_out.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("alias", "alias_without_redis", "tool", "capped")}, indent=2))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
