"""What a measuring worker process runs: bursts of fused calls, through the library or the proxy,
plain calls for the proxy's pass-through cost, streamed calls (when the first byte arrives), and
optillm's mixture of agents. Each job returns raw timings; run.py sums up.

A worker is a fresh process (multiprocessing, spawn): its CPU time and peak RSS belong to the
client alone, since the provider (and the proxy) run in processes of their own.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import time
from typing import Any

import clients
from servers import cpu_seconds

QUESTION = "Why are there two high tides a day, and what role does the Sun play?"
MESSAGES = [{"role": "user", "content": QUESTION}]


def worker_main(conn: Any, jobs: list[dict[str, Any]]) -> None:
    """Run ``jobs`` in order, in this process; send back one result per job."""
    import logging

    logging.getLogger("fusion_tool").setLevel(logging.ERROR)  # stragglers are expected here
    results = []
    for job in jobs:
        try:
            results.append(asyncio.run(JOBS[job["kind"]](job)))
        except Exception as exc:  # report, do not hang the parent
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    conn.send(results)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


async def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    try:
        out = await fn()
    except Exception as exc:
        out = exc
    return time.perf_counter() - started, out


async def _bursts(call: Any, job: dict[str, Any]) -> dict[str, Any]:
    """``warmup`` calls one by one, then ``rounds`` bursts of ``concurrency`` calls at once."""
    for _ in range(job.get("warmup", 1)):
        await call()
    if job.get("warmup_burst") and job["concurrency"] > 1:  # every worker process of a server warmed up
        await asyncio.gather(*(_timed(call) for _ in range(job["concurrency"])))
    gc.collect()
    latencies: list[float] = []
    failures: list[str] = []
    walls: list[float] = []
    extra: list[Any] = []
    watched = job.get("watch_pids") or {}
    others0 = {name: cpu_seconds(pid) for name, pid in watched.items()}
    cpu0 = time.process_time()
    for _ in range(job["rounds"]):
        started = time.perf_counter()
        if job["concurrency"] == 1:
            outcomes = [await _timed(call)]
        else:
            outcomes = await asyncio.gather(*(_timed(call) for _ in range(job["concurrency"])))
        walls.append(time.perf_counter() - started)
        for seconds, out in outcomes:
            latencies.append(seconds)
            if isinstance(out, Exception):
                failures.append(f"{type(out).__name__}: {out}"[:200])
            elif out is not None:
                extra.append(out)
    cpu = time.process_time() - cpu0
    n = len(latencies)
    busy, spent = {}, {}  # CPU the provider (and the proxy) used while we measured
    for name, pid in watched.items():
        after = cpu_seconds(pid)
        if after is not None and others0[name] is not None:
            spent[name] = round(after - others0[name], 3)
            busy[name] = round(spent[name] / sum(walls), 3)
    return {"latencies": latencies, "walls": walls, "failures": failures, "requests": n,
            "cpu_seconds": cpu, "cpu_ms_per_request": 1000 * cpu / n, "peak_rss_mb": _peak_rss_mb(),
            "core_share": busy, "cpu_seconds_of": spent, "extra": extra}


async def fused(job: dict[str, Any]) -> dict[str, Any]:
    """Fused calls through the library: ``wrap_openai(client)`` in alias mode."""
    from fusion_tool import FusionConfig, wrap_openai

    config = FusionConfig(base_url=job["base_url"], api_key=clients.API_KEY, panel=tuple(job["panel"]),
                          judge=job["judge"], tools=(), straggler_grace=job.get("grace"),
                          panel_timeout=120, deadline=300)
    client = clients.make(job["client"], job["base_url"])
    wrapped = wrap_openai(client, config=config)
    expect_failed = job.get("expect_failed", 0)

    async def call() -> Any:
        completion = await wrapped.chat.completions.create(model="openrouter/fusion", messages=MESSAGES)
        record = completion.fusion
        if record["status"] != "ok" or len(record["failed_models"]) != expect_failed:
            raise RuntimeError(f"fusion status {record['status']}, failed {record['failed_models']}")
        return record.get("trace", {}).get("panel_seconds")

    try:
        out = await _bursts(call, job)
    finally:
        await client.close()
    out["http_client"] = clients.describe(client)
    panel = [s for s in out.pop("extra") if isinstance(s, (int, float))]
    out["panel_seconds_median"] = sorted(panel)[len(panel) // 2] if panel else None
    return out


async def proxy_fused(job: dict[str, Any]) -> dict[str, Any]:
    """Fused calls through the proxy, from a light aiohttp client."""
    import aiohttp

    url = job["proxy_url"] + "/chat/completions"
    body = {"model": "openrouter/fusion", "messages": MESSAGES}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=600)) as session:

        async def call() -> None:
            async with session.post(url, json=body, headers={"Authorization": "Bearer bench"}) as response:
                data = await response.json()
                if response.status != 200 or not data["choices"][0]["message"]["content"]:
                    raise RuntimeError(f"HTTP {response.status}: {str(data)[:200]}")

        out = await _bursts(call, job)
    out.pop("extra")
    return out


async def floor(job: dict[str, Any]) -> dict[str, Any]:
    """The same call graph as a fused request (the panel at once, then judge, then writer) as
    bare aiohttp POSTs: no SDK, no fusion-tool. What the provider and the machine allow."""
    import aiohttp

    url = job["base_url"] + "/chat/completions"
    headers = {"Authorization": "Bearer bench"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def post(model: str, messages: list[dict[str, Any]]) -> str:
            async with session.post(url, json={"model": model, "messages": messages}, headers=headers) as response:
                data = await response.json()
            return data["choices"][0]["message"]["content"]

        async def call() -> None:
            answers = await asyncio.gather(*(post(m, MESSAGES) for m in job["panel"]))
            analysis = await post(job["judge"], [{"role": "user", "content": "\n\n".join(answers)}])
            await post(job["judge"], [*MESSAGES, {"role": "tool", "tool_call_id": "c", "content": analysis}])

        out = await _bursts(call, job)
    out.pop("extra")
    return out


async def passthrough(job: dict[str, Any]) -> dict[str, Any]:
    """Plain (not fused) calls, alternately straight to the provider and through the proxy."""
    import aiohttp

    body = {"model": job["model"], "messages": MESSAGES}
    targets = {"direct": job["base_url"], "proxy": job["proxy_url"]}
    times: dict[str, list[float]] = {"direct": [], "proxy": []}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        for n in range(job["warmup"] + job["requests"]):
            for name, base in targets.items():
                started = time.perf_counter()
                async with session.post(base + "/chat/completions", json=body,
                                        headers={"Authorization": "Bearer bench"}) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{name}: HTTP {response.status}")
                if n >= job["warmup"]:
                    times[name].append(time.perf_counter() - started)
    return times


async def stream(job: dict[str, Any]) -> dict[str, Any]:
    """Streamed calls one at a time, to ``url`` (the proxy, fused; or the provider, direct): when
    each was sent, and when its first ``data:`` event and its first content delta arrived
    (``time.monotonic()``, the clock the provider stamps its first byte with)."""
    import json

    import aiohttp

    body = {"model": job["model"], "messages": job["messages"], "stream": True}
    calls: list[dict[str, Any]] = []
    failures: list[str] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        for n in range(job["warmup"] + job["calls"]):
            record: dict[str, Any] = {"warmup": n < job["warmup"], "sent": time.monotonic(),
                                      "first_data": None, "first_content": None}
            try:
                async with session.post(job["url"] + "/chat/completions", json=body,
                                        headers={"Authorization": "Bearer bench"}) as response:
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")
                    async for line in response.content:
                        if not line.startswith(b"data:"):
                            continue
                        now = time.monotonic()
                        if record["first_data"] is None:
                            record["first_data"] = now
                        payload = line[5:].strip()
                        if record["first_content"] is None and payload != b"[DONE]":
                            choices = json.loads(payload).get("choices") or [{}]
                            if (choices[0].get("delta") or {}).get("content"):
                                record["first_content"] = now
                record["done"] = time.monotonic()
                if record["first_content"] is None:
                    raise RuntimeError("the stream carried no content")
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])
                record["error"] = failures[-1]
            calls.append(record)
    return {"calls": calls, "failures": failures}


async def optillm_moa(job: dict[str, Any]) -> dict[str, Any]:
    """optillm's own ``mixture_of_agents`` (optillm.moa, unmodified), answers one at a time with
    a sync ``openai.OpenAI`` client at the scripted provider, as optillm's server drives it."""
    import logging

    import openai
    import optillm_peer

    logging.getLogger("optillm").setLevel(logging.ERROR)  # its fallback warns on each answer
    moa = optillm_peer.load_moa()
    client = openai.OpenAI(base_url=job["base_url"], api_key=clients.API_KEY, max_retries=0)

    async def call() -> None:
        answer, _tokens = moa.mixture_of_agents("You are a helpful assistant.", QUESTION, client, job["model"])
        if not answer or answer.startswith("Error:"):
            raise RuntimeError(f"optillm moa answered {answer[:200]!r}")

    try:
        out = await _bursts(call, {**job, "concurrency": 1})
    finally:
        client.close()
    out.pop("extra")
    out["optillm_version"] = optillm_peer.version()
    return out


JOBS = {"fused": fused, "proxy_fused": proxy_fused, "passthrough": passthrough, "floor": floor,
        "stream": stream, "optillm": optillm_moa}
