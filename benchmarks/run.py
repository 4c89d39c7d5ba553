"""fusion-tool's performance benchmark: one command, a table on stdout, JSON in benchmarks/results/.

    python benchmarks/run.py            # the full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # a tiny run for CI (every scenario, lightly; no figure is asserted)

The scripted provider (``fusion_tool.testing``) runs as a loopback server in its own process with
scripted latencies; every measuring client runs in a fresh process of its own, so neither shares
an event loop or a GIL with the other, and CPU time and peak RSS belong to the client alone.
Measured, in one run: the command line's start-up (fresh processes), fusion's overhead over the
critical path, CPU per fused request, 1-500 concurrent fused requests (through the proxy when
``fusion_tool.proxy.create_app`` exists, else the library) beside a floor of bare aiohttp calls,
straggler handling, fusion against optillm's mixture of agents (when optillm is installed:
``pip install --no-deps optillm``), the proxy's pass-through cost, the streamed first byte, the
proxy's memory at the top level, and ``fusion-tool serve --workers N`` against ``--workers 1``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clients  # noqa: E402
import optillm_peer  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402
import startup  # noqa: E402

PANEL_DELAY = JUDGE_DELAY = WRITER_DELAY = 0.2
PANEL = [f"bench/p{i}@{PANEL_DELAY}" for i in range(1, 6)]
JUDGE = f"bench/judge@{JUDGE_DELAY}"  # the judge model also writes the answer (alias mode)
CRITICAL_PATH = PANEL_DELAY + JUDGE_DELAY + WRITER_DELAY
STRAGGLER = f"bench/slow@{10 * PANEL_DELAY}"
GRACE = 0.05  # seconds the rest of the panel gets once more than half has answered
ECHO = "bench/echo@0"

#: what each run does: rounds per concurrency level (through the proxy, and for the floor), etc.
FULL = {"cli_runs": 7, "overhead_calls": 20, "floor_calls": 10, "straggler_rounds": 5,
        "levels": {1: 20, 10: 3, 50: 3, 100: 3, 500: 1}, "floor_levels": {1: 5, 10: 3, 50: 3, 100: 3, 500: 1}, "idle_seconds": 10,
        "passthrough": 300, "moa_answers": 5, "stream_calls": 10, "workers_concurrency": 100, "workers_rounds": 3}
QUICK = {"cli_runs": 1, "overhead_calls": 2, "floor_calls": 2, "straggler_rounds": 1,
         "levels": {1: 1, 10: 1}, "floor_levels": {1: 1, 10: 1}, "idle_seconds": 1,
         "passthrough": 20, "moa_answers": 1, "stream_calls": 2, "workers_concurrency": 10, "workers_rounds": 1}
#: the variants whose overhead is the headline (the shipped library)
HEADLINE = ("default",)
MOA_PANEL = PANEL[:3]  # fusion with 3 models against optillm's 1 model x 3 samples
MOA_MODEL = f"bench/moa@{PANEL_DELAY}"  # honours n=3: 3 samples in one call
MOA_REFUSES_N = f"bench/moa-refuses-n@{PANEL_DELAY}"  # 400 on n > 1: optillm samples one by one
WRITER_MESSAGES = [*scenarios.MESSAGES, {"role": "tool", "tool_call_id": "c", "content": "analysis"}]


def machine() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("fusion-tool", "openai", "httpx2", "aiohttp", "uvicorn"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {"nproc": os.cpu_count(), "cpu_model": model, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def proxy_available() -> bool:
    if importlib.util.find_spec("fusion_tool.proxy") is None:
        return False
    from fusion_tool import proxy

    return hasattr(proxy, "create_app")


_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def in_worker(jobs: list[dict[str, Any]], timeout: float = 900) -> list[dict[str, Any]]:
    """Run ``jobs`` in a fresh process; their results, in order."""
    say("measuring: " + ", ".join(f"{j['kind']} {j.get('variant', '')} x{j['concurrency']}"
                                  if "concurrency" in j else j["kind"] for j in jobs))
    parent, child = servers.CTX.Pipe()
    process = servers.CTX.Process(target=scenarios.worker_main, args=(child, jobs), name="bench-client")
    process.start()
    try:
        if not parent.poll(timeout):
            raise TimeoutError(f"the measuring worker gave no result within {timeout:g} s")
        return parent.recv()
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()


def fused_job(provider: servers.Process, variant: str, concurrency: int, rounds: int, *,
              panel: list[str] = PANEL, grace: float | None = None, expect_failed: int = 0,
              warmup: int = 2) -> dict[str, Any]:
    return {"kind": "fused", "base_url": provider.base_url, "panel": panel, "judge": JUDGE,
            "grace": grace, "expect_failed": expect_failed, "concurrency": concurrency, "rounds": rounds,
            "warmup": warmup, "watch_pids": {"provider": provider.pid}, "variant": variant, **VARIANTS[variant]}


#: what stands under the library: the HTTP client, or no SDK at all
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {"client": "default"},  # fusion-tool as shipped (fusion_tool.provider.http: the SDK's aiohttp client)
    "httpx2": {"client": "httpx2"},  # the SDK's httpx2 client, fusion-tool's first choice, for comparison
    "floor": {"client": "aiohttp", "kind": "floor"},  # the same calls as bare aiohttp POSTs: no SDK, no fusion-tool
}
#: measured unless --variants says otherwise (httpx2 is no longer what ships: ask for it)
DEFAULT_VARIANTS = ["default", "floor"]


def run(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    plan = QUICK if quick else FULL
    variants = [v for v in args.variants if clients.available(VARIANTS[v]["client"])]
    with_proxy = proxy_available() and not args.no_proxy
    notes = [f"variant {v} skipped: aiohttp not installed (pip install 'openai[aiohttp]')"
             for v in args.variants if v not in variants]
    if with_proxy and not clients.available("aiohttp"):
        with_proxy = False
        notes.append("the proxy's load generator needs aiohttp (pip install 'openai[aiohttp]')")
    if not with_proxy:
        notes.append("no proxy measured (fusion_tool.proxy.create_app not found, --no-proxy, or no aiohttp): "
                     "concurrency measured through the library (wrap_openai, alias mode); no pass-through, "
                     "streaming, memory or workers figure")
    results: dict[str, Any] = {"startup": None, "overhead": {}, "stragglers": {}, "concurrency": [],
                               "passthrough": None, "moa": None, "streaming": None, "workers": None}
    started = time.monotonic()
    say("timing the command line (fresh processes)")
    results["startup"] = startup.measure(plan["cli_runs"], warm=not quick)  # first, before our servers load the machine
    servers.preload()
    provider = servers.start_provider()
    straggling = next((v for v in variants if v != "floor"), None)  # stragglers need the pipeline
    try:
        for variant in variants:  # one client process per variant: overhead, then concurrency levels
            calls = plan["floor_calls"] if variant == "floor" else (
                plan["overhead_calls"] if variant in HEADLINE or quick else plan["overhead_calls"] // 2)
            jobs = [fused_job(provider, variant, 1, calls, warmup=1 if quick else 2)]
            first = variant == straggling
            if first:  # the overhead run is also the stragglers' baseline
                rounds, straggly = plan["straggler_rounds"], PANEL[:4] + [STRAGGLER]
                jobs.append(fused_job(provider, variant, 1, rounds, panel=straggly, grace=GRACE,
                                      expect_failed=1, warmup=0 if quick else 1))
                if not quick:
                    jobs.append(fused_job(provider, variant, 1, max(1, rounds // 2), panel=straggly, warmup=0))
            through_library = not with_proxy or variant == "floor"  # the floor has no proxy to go through
            levels = list(plan["floor_levels" if variant == "floor" else "levels"].items()) if through_library else []
            jobs += [fused_job(provider, variant, n, r, warmup=0 if quick else 1) for n, r in levels]
            out = in_worker(jobs)
            provider.reset()
            results["overhead"][variant] = out[0]
            if first:
                results["stragglers"] = {"variant": variant, "grace": GRACE, "baseline": out[0],
                                         "with_grace": out[1], "without_grace": None if quick else out[2]}
            for (n, _), res in zip(levels, out[len(out) - len(levels):]):
                results["concurrency"].append({"front": "library", "variant": variant, "concurrency": n, **res})
        results["moa"] = moa(provider, plan, quick, notes)
        if with_proxy:
            results["concurrency"] += proxy_levels(provider, [v for v in variants if v != "floor"], plan)
            results["passthrough"], results["streaming"] = passthrough_and_streaming(provider, plan, quick)
            results["workers"] = serve_workers(provider, plan, notes)
            results["concurrency"] += results["workers"]["rows"]
    finally:
        provider.stop()
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mode": "quick" if quick else "full", "machine": machine(),
            "setup": {"panel": PANEL, "judge": JUDGE, "critical_path_s": CRITICAL_PATH, "straggler": STRAGGLER,
                      "grace_s": GRACE, "proxy": with_proxy, "variants": {v: VARIANTS[v] for v in variants},
                      "levels": plan["levels"], "floor_levels": plan["floor_levels"], "plan": plan,
                      "moa": {"fusion_panel": MOA_PANEL, "fusion_judge": JUDGE, "optillm_model": MOA_MODEL,
                              "optillm_model_refusing_n": MOA_REFUSES_N}},
            "seconds": round(time.monotonic() - started, 1), "notes": notes, "results": results}


def proxy_levels(provider: servers.Process, variants: list[str], plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Fused requests through the proxy, served by uvicorn in its own process (one per variant,
    levels in ascending order, so its peak RSS after a level is that level's); the CPU per
    request is the proxy process's own."""
    rows = []
    for variant in variants:
        proxy = servers.start_proxy(provider.base_url, VARIANTS[variant]["client"], PANEL, JUDGE)
        try:
            for n, rounds in plan["levels"].items():
                job = {"kind": "proxy_fused", "proxy_url": proxy.base_url, "concurrency": n, "rounds": rounds,
                       "warmup": 1, "variant": variant, "watch_pids": {"provider": provider.pid, "proxy": proxy.pid}}
                out = in_worker([job])[0]
                out["server_peak_rss_mb"] = proxy.peak_rss_mb()
                rows.append({"front": "proxy", "variant": variant, "concurrency": n, **_server_cpu(out, ["proxy"])})
                provider.reset()
                if n == 1:  # then the CPU it spends with no request in flight (uvicorn's tick), per second
                    rows[-1]["idle_cpu_ms_per_s"] = _idle_cpu_ms_per_s(proxy, plan["idle_seconds"])
        finally:
            proxy.stop()
    return rows


def _idle_cpu_ms_per_s(proxy: servers.Process, seconds: float) -> float | None:
    time.sleep(0.5)  # the last request's connection and garbage settle first
    before = proxy.cpu_seconds()
    time.sleep(seconds)
    after = proxy.cpu_seconds()
    return None if before is None or after is None else round(1000 * (after - before) / seconds, 2)


def _server_cpu(out: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A load generator's result with CPU per request made the server's (``names``, summed)."""
    out["client_peak_rss_mb"] = out.pop("peak_rss_mb", None)
    spent = out.get("cpu_seconds_of", {})
    if out.get("requests") and all(name in spent for name in names):
        out["client_cpu_ms_per_request"] = out["cpu_ms_per_request"]
        out["cpu_ms_per_request"] = 1000 * sum(spent[name] for name in names) / out["requests"]
    return out


def passthrough_and_streaming(provider: servers.Process, plan: dict[str, Any],
                              quick: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain requests straight to the provider and through the proxy, alternately; then streamed
    writer calls straight to the provider and streamed fused requests through the proxy, one at a
    time, with the provider stamping when each response's first byte went out."""
    proxy = servers.start_proxy(provider.base_url, "default", PANEL, JUDGE)
    try:
        job = {"kind": "passthrough", "base_url": provider.base_url, "proxy_url": proxy.base_url,
               "model": ECHO, "requests": plan["passthrough"], "warmup": min(20, plan["passthrough"])}
        passing = in_worker([job])[0]
        provider.reset()
        warmup = 0 if quick else 2
        runs = {"direct": {"kind": "stream", "url": provider.base_url, "model": JUDGE, "messages": WRITER_MESSAGES,
                           "calls": plan["stream_calls"], "warmup": warmup},
                "fused": {"kind": "stream", "url": proxy.base_url, "model": "openrouter/fusion",
                          "messages": scenarios.MESSAGES, "calls": plan["stream_calls"], "warmup": warmup}}
        streaming: dict[str, Any] = {}
        for name, job in runs.items():
            provider.stamping(True)
            try:
                out = in_worker([job])[0]
                stats = provider.stats()
            finally:
                provider.stamping(False)
                provider.reset()
            writers = [s for s in stats["stamps"] if s["writer"]]
            calls = out.get("calls", [])
            if len(writers) == len(calls):  # one writer call per streamed request, in order
                for call, stamp in zip(calls, writers):
                    call["provider_first_byte"] = stamp["first_byte"]
                    call["upstream_streamed"] = stamp["stream"]
            else:
                out.setdefault("failures", []).append(
                    f"{len(writers)} writer calls at the provider for {len(calls)} streamed requests")
            streaming[name] = {**out, "provider": stats}
        return passing, streaming
    finally:
        proxy.stop()
        provider.reset()


def moa(provider: servers.Process, plan: dict[str, Any], quick: bool, notes: list[str]) -> dict[str, Any]:
    """Fusion (3 panelists, judge, writer; the library as shipped) and optillm's mixture of agents
    (1 model x 3 samples, a critique, a final answer), one answer at a time, at the same provider
    with the same 200 ms a call; the provider counts the calls each makes."""
    warmup = 0 if quick else 2
    out: dict[str, Any] = {}
    jobs = {"fusion": fused_job(provider, "default", 1, plan["moa_answers"], panel=MOA_PANEL, warmup=warmup)}
    if optillm_peer.available():
        for name, model in (("optillm", MOA_MODEL), ("optillm_refuses_n", MOA_REFUSES_N)):
            jobs[name] = {"kind": "optillm", "base_url": provider.base_url, "model": model,
                          "rounds": plan["moa_answers"], "warmup": warmup, "watch_pids": {"provider": provider.pid}}
    else:
        notes.append(f"optillm not installed: {optillm_peer.INSTALL} (its moa module is all the benchmark uses; "
                     "not a fusion-tool dependency); the optillm row is skipped")
    for name, job in jobs.items():
        res = in_worker([job])[0]
        stats = provider.stats()
        provider.reset()
        answers = job["rounds"] + job["warmup"]
        res["provider_requests"] = stats["by_model"]
        res["calls_per_answer"] = stats["requests"] / answers
        out[name] = res
    return out


def serve_workers(provider: servers.Process, plan: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    """``fusion-tool serve --workers N`` (N: this machine's CPUs, serve's default) against
    ``--workers 1``, each a subprocess configured by FUSION_*, under the same burst."""
    cpus = os.cpu_count() or 1
    counts = [1, cpus] if cpus > 1 else [1]
    if cpus == 1:
        notes.append("one CPU: serve's default is --workers 1, so the workers row has nothing to compare")
    rows, errors = [], []
    started = {}
    for workers in counts:  # both start at once (their start-ups overlap); measured one after the other
        try:
            started[workers] = servers.Serve(provider.base_url, workers, PANEL, JUDGE)
        except Exception as exc:
            errors.append(f"--workers {workers}: {type(exc).__name__}: {exc}")
    try:
        for workers, serve in started.items():
            try:
                serve.wait_ready()
                pids = serve.worker_pids()
                watch = {"provider": provider.pid, **{f"worker{i}": pid for i, pid in enumerate(pids)}}
                job = {"kind": "proxy_fused", "proxy_url": serve.base_url, "concurrency": plan["workers_concurrency"],
                       "rounds": plan["workers_rounds"], "warmup": 1, "warmup_burst": True,
                       "variant": "default", "watch_pids": watch}
                out = in_worker([job])[0]
                out["server_peak_rss_mb"] = serve.peak_rss_mb()
                out["worker_pids"] = pids
                rows.append({"front": f"fusion-tool serve --workers {workers}", "variant": "default",
                             "concurrency": plan["workers_concurrency"], "workers": workers,
                             **_server_cpu(out, [k for k in watch if k != "provider"])})
            except Exception as exc:
                errors.append(f"--workers {workers}: {type(exc).__name__}: {exc}")
            finally:
                serve.stop()
                provider.reset()
            if (not rows or rows[-1].get("workers") != workers or not rows[-1].get("latencies")) and serve.stderr.strip():
                errors.append(f"--workers {workers} said: {serve.stderr.strip()[-500:]}")
    finally:
        for serve in started.values():
            serve.stop()
    return {"cpus": cpus, "command": "fusion-tool serve --workers N --max-inflight 100000 (FUSION_* from env)",
            "rows": rows, "errors": errors}


def write(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(summary, indent=2)
    if summary["mode"] == "quick":
        paths = [out_dir / "latest-quick.json"]
    else:
        stamp = summary["date"][:19].replace(":", "").replace("-", "")
        paths = [out_dir / "latest.json", out_dir / f"{stamp}.json", out_dir / "latest.md"]
    for path in paths:
        path.write_text(summary["table"] + "\n" if path.suffix == ".md" else text + "\n")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run for CI (a few seconds)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON goes")
    parser.add_argument("--variants", type=lambda s: [k.strip() for k in s.split(",") if k.strip()],
                        default=None, help=f"what to measure under the library, of {','.join(VARIANTS)} "
                        f"(default: {','.join(DEFAULT_VARIANTS)})")
    parser.add_argument("--no-proxy", action="store_true", help="measure through the library even if the proxy exists")
    args = parser.parse_args(argv)
    if args.variants is None:
        args.variants = DEFAULT_VARIANTS
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    summary = run(args)
    summary["evaluation"] = report.evaluate(summary)
    summary["table"] = report.markdown(summary)
    print(summary["table"])
    for path in write(summary, args.out):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
