"""The benchmark's figures against their targets, and the Markdown table printed and saved."""

from __future__ import annotations

import statistics
from typing import Any

TARGETS = {
    "startup_ms": 300,  # fusion-tool --help & co, fresh process, median
    "cpu_vs_floor": 1.5,  # the proxy's CPU per fused request over the floor's
    "overhead": 1.02,  # fused wall time / critical path
    "concurrency_50": 1.3,  # proxy: median at 50 concurrent over one alone
    "concurrency_100_vs_floor": 1.1,  # proxy: (median at 100 / one alone) over the floor's same ratio
    "vs_optillm": 0.8,  # fusion's time per answer over optillm's
    "stragglers": 1.1,  # with grace, over the time without a straggler
    "passthrough_ms": 1.0,  # proxy's added p50
}


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linearly interpolated."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def _median(res: dict[str, Any] | None) -> float | None:
    return statistics.median(res["latencies"]) if res and res.get("latencies") else None


def _row(measure: str, figure: str, target: str, met: bool | None, peer: str = "") -> dict[str, Any]:
    return {"measure": measure, "figure": figure, "peer": peer, "target": target,
            "met": None if met is None else bool(met)}


def _error(res: dict[str, Any] | None) -> str:
    if res is None:
        return "not measured"
    failures = res.get("failures") or []
    return f"error: {res.get('error') or (failures[0] if failures else 'no timings')}"


LABELS = {
    "default": "library as shipped (aiohttp client)",
    "httpx2": "library over the SDK's httpx2 client",
    "floor": "floor: bare aiohttp, no SDK/fusion",
}


def label(variant: str) -> str:
    return LABELS.get(variant, variant)


def _levels(res: dict[str, Any], front: str, variant: str) -> dict[int, dict[str, Any]]:
    return {r["concurrency"]: r for r in res["concurrency"] if (r["front"], r["variant"]) == (front, variant)}


def _ratio_at(levels: dict[int, dict[str, Any]], n: int) -> tuple[float, float] | None:
    one, many = _median(levels.get(1)), _median(levels.get(n))
    return (many, one) if one and many else None


def evaluate(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per headline figure, beside its floor or peer, with its target and whether it was met."""
    res, setup = summary["results"], summary["setup"]
    rows = [startup_row(res.get("startup"))]
    rows += cpu_rows(res)
    rows += overhead_rows(res, setup["critical_path_s"])
    rows += concurrency_headline(res)
    rows.append(moa_row(res.get("moa"), summary["notes"]))
    if setup.get("proxy"):
        rows.append(streaming_row(res.get("streaming")))
        rows.append(memory_row(res))
        rows.append(workers_row(res.get("workers")))
    rows += straggler_rows(res)
    rows += passthrough_rows(res)
    return rows


def startup_row(startup: dict[str, Any] | None) -> dict[str, Any]:
    measure = "`fusion-tool --help`, `ask --help`, an argument error: wall time, fresh process"
    if not startup:
        return _row(measure, "not measured", f"<= {TARGETS['startup_ms']} ms", None)
    ours = {k: v for k, v in startup.items() if k.startswith("fusion-tool")}
    peer = next((v for k, v in startup.items() if not k.startswith("fusion-tool")), None)
    runs = len(next(iter(ours.values()))["seconds"])
    problems = [f"{k}: {p}" for k, v in startup.items() for p in v["problems"]]
    figure = ", ".join(f"{k.removeprefix('fusion-tool ')} {v['median_s'] * 1000:.0f} ms" for k, v in ours.items())
    figure += f" (median of {runs})" + (f"; PROBLEM {problems[0]}" if problems else "")
    worst = max(v["median_s"] for v in ours.values()) * 1000
    return _row(measure, figure, f"<= {TARGETS['startup_ms']} ms each", worst <= TARGETS["startup_ms"] and not problems,
                peer=f"`python -c 'import openai'` {peer['median_s'] * 1000:.0f} ms" if peer else "")


def cpu_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    floor = res["overhead"].get("floor")
    floor_ms = floor["cpu_ms_per_request"] if floor and floor.get("latencies") else None
    rows = []
    for variant in [v for v in res["overhead"] if v != "floor"]:
        one = _levels(res, "proxy", variant).get(1)
        measure = f"CPU per fused request, proxy process, one at a time ({label(variant)})"
        if not one or not one.get("latencies") or "client_cpu_ms_per_request" not in one:
            lib = res["overhead"][variant]
            if lib.get("latencies"):  # no proxy: the library's own process
                measure = f"CPU per fused request, library process, one at a time ({label(variant)})"
                one = {"cpu_ms_per_request": lib["cpu_ms_per_request"], "requests": lib["requests"]}
            else:
                rows.append(_row(measure, _error(one), f"<= {TARGETS['cpu_vs_floor']}x floor", None))
                continue
        ms = one["cpu_ms_per_request"]
        ratio = ms / floor_ms if floor_ms else None
        idle = one.get("idle_cpu_ms_per_s")
        seconds = statistics.median(one["latencies"]) if one.get("latencies") else None
        idle_note = (f"; {idle * seconds:.1f} ms of it the server idling through the request's {seconds:.1f} s "
                     f"(idle: {idle:.1f} ms CPU a second)") if idle is not None and seconds else ""
        rows.append(_row(measure, f"{ms:.1f} ms ({one['requests']} requests)" + (f" = {ratio:.1f}x floor" if ratio else "")
                         + idle_note,
                         f"<= {TARGETS['cpu_vs_floor']}x floor", None if ratio is None else ratio <= TARGETS["cpu_vs_floor"],
                         peer=f"floor {floor_ms:.1f} ms" if floor_ms else "floor not measured"))
    return rows


def overhead_rows(res: dict[str, Any], path: float) -> list[dict[str, Any]]:
    rows = []
    floor_out = res["overhead"].get("floor")
    floor = _median(floor_out)
    peer = f"floor {floor / path:.3f}x ({floor * 1000:.0f} ms)" if floor else "floor not measured"
    for variant, out in res["overhead"].items():
        if variant == "floor":
            continue
        measure = f"overhead: fused / critical path, one at a time ({label(variant)})"
        if not out.get("latencies"):
            rows.append(_row(measure, _error(out), f"<= {TARGETS['overhead']}x", False, peer))
            continue
        ratios = [t / path for t in out["latencies"]]
        med = statistics.median(ratios)
        extra = ""
        if floor:
            extra += f"; the library's own share {(statistics.median(out['latencies']) - floor) / path:+.1%}"
        proxied = _median(_levels(res, "proxy", variant).get(1))
        if proxied:
            extra += f"; through the proxy {proxied / path:.3f}x"
        rows.append(_row(measure, f"median {med:.3f}x, max {max(ratios):.3f}x over {len(ratios)} calls "
                                  f"({statistics.median(out['latencies']) * 1000:.0f} ms vs {path * 1000:.0f} ms){extra}",
                         f"<= {TARGETS['overhead']}x", med <= TARGETS["overhead"], peer))
    return rows


def _level_up_to(levels: dict[int, Any], n: int) -> int | None:
    """``n`` if measured, else the highest level measured below it (--quick has only a few)."""
    below = [k for k in levels if 1 < k <= n]
    return max(below) if below else None


def concurrency_headline(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    floor_levels = _levels(res, "library", "floor")
    front = "proxy" if any(r["front"] == "proxy" for r in res["concurrency"]) else "library"
    for variant in [v for v in res["overhead"] if v != "floor"]:
        levels = _levels(res, front, variant)
        n = _level_up_to(levels, 50) or 50
        fifty = _ratio_at(levels, n)
        measure = f"{front}, median at {n} concurrent / one alone ({label(variant)})"
        floor_fifty = _ratio_at(floor_levels, n)
        fifty_peer = f"floor {floor_fifty[0]:.3f} s / {floor_fifty[1]:.3f} s = {floor_fifty[0] / floor_fifty[1]:.2f}x" \
            if floor_fifty else "—"
        if fifty:
            rows.append(_row(measure, f"{fifty[0]:.3f} s / {fifty[1]:.3f} s = {fifty[0] / fifty[1]:.2f}x",
                             f"<= {TARGETS['concurrency_50']}x", fifty[0] / fifty[1] <= TARGETS["concurrency_50"],
                             fifty_peer))
        else:
            rows.append(_row(measure, _error(levels.get(n) or levels.get(1)), f"<= {TARGETS['concurrency_50']}x", None))
        n = _level_up_to({k: v for k, v in levels.items() if k in floor_levels}, 100) or 100
        floor = _ratio_at(floor_levels, n)
        hundred = _ratio_at(levels, n)
        target = f"<= {TARGETS['concurrency_100_vs_floor']}x the floor's ratio"
        measure = f"{front}, median at {n} concurrent / one alone ({label(variant)})"
        peer = (f"floor {floor[0]:.3f} s / {floor[1]:.3f} s = {floor[0] / floor[1]:.2f}x" if floor
                else f"floor {_error(floor_levels.get(n))}")
        if hundred:
            ratio = hundred[0] / hundred[1]
            vs = ratio / (floor[0] / floor[1]) if floor else None
            rows.append(_row(measure, f"{hundred[0]:.3f} s / {hundred[1]:.3f} s = {ratio:.2f}x"
                             + (f" = {vs:.2f}x the floor's" if vs else ""), target,
                             None if vs is None else vs <= TARGETS["concurrency_100_vs_floor"], peer))
        else:
            rows.append(_row(measure, _error(levels.get(n) or levels.get(1)), target, None, peer))
    return rows


def moa_row(moa: dict[str, Any] | None, notes: list[str]) -> dict[str, Any]:
    measure = "vs optillm `moa` per answer, one at a time (fusion 3 models + judge + writer; optillm 1 model x 3)"
    target = f"<= {TARGETS['vs_optillm']} (fusion / optillm)"
    moa = moa or {}
    fusion, optillm, refused = (moa.get(k) for k in ("fusion", "optillm", "optillm_refuses_n"))
    f = _median(fusion)
    if not f:
        return _row(measure, f"fusion {_error(fusion)}", target, None)
    if optillm is None:
        hint = next((n for n in notes if n.startswith("optillm not installed")), "optillm not installed")
        return _row(measure, f"fusion {f:.3f} s per answer ({fusion['calls_per_answer']:.0f} calls); "
                    f"skipped: {hint.split(' (')[0]}", target, None, "optillm: skipped")
    o = _median(optillm)
    if not o:
        return _row(measure, f"fusion {f:.3f} s; optillm {_error(optillm)}", target, None)
    figure = (f"fusion {f:.3f} s / optillm {o:.3f} s = {f / o:.2f} ({len(fusion['latencies'])} answers each; "
              f"calls per answer: fusion {fusion['calls_per_answer']:.0f}, the panel at once then judge and writer; "
              f"optillm {optillm['calls_per_answer']:.0f}, one after the other)")
    r = _median(refused)
    if r:
        figure += (f"; at a provider that refuses `n`, optillm makes {refused['calls_per_answer']:.0f} calls "
                   f"(the refused one, 3 samples one by one, critique, final) in {r:.3f} s: fusion / optillm {f / r:.2f}")
    return _row(measure, figure, target, f / o <= TARGETS["vs_optillm"],
                f"optillm {optillm.get('optillm_version')} `mixture_of_agents`, `n=3` honoured")


def streaming_row(streaming: dict[str, Any] | None) -> dict[str, Any]:
    measure = "streaming: writer's first byte at the provider -> client's first content byte, through the proxy"

    def gaps(out: dict[str, Any] | None) -> list[float]:
        return [1000 * (c["first_content"] - c["provider_first_byte"]) for c in (out or {}).get("calls", [])
                if not c["warmup"] and c.get("first_content") and c.get("provider_first_byte")]

    fused, direct = (streaming or {}).get("fused"), (streaming or {}).get("direct")
    g, d = gaps(fused), gaps(direct)
    peer = f"direct streamed call: {statistics.median(d):.2f} ms" if d else f"direct: {_error(direct)}"
    if not g:
        return _row(measure, _error(fused), "(measured)", None, peer)
    calls = [c for c in fused["calls"] if not c["warmup"] and c.get("first_content")]
    ttft = statistics.median(c["first_content"] - c["sent"] for c in calls)
    upstream = {c.get("upstream_streamed") for c in calls}
    how = "streamed" if upstream == {True} else "not streamed" if upstream == {False} else "mixed"
    return _row(measure, f"median {statistics.median(g):.2f} ms, max {max(g):.2f} ms over {len(g)} requests "
                f"(the writer call upstream: {how}; the client's first content {ttft * 1000:.0f} ms after sending)",
                "(measured)", None, peer)


def memory_row(res: dict[str, Any]) -> dict[str, Any]:
    levels = _levels(res, "proxy", "default")
    top = max(levels) if levels else None
    measure = f"memory: peak RSS of the proxy at {top or 500} concurrent (library as shipped)"
    if not top or not levels[top].get("server_peak_rss_mb"):
        return _row(measure, _error(levels.get(top) if top else None), "(measured)", None)
    one = levels.get(1, {}).get("server_peak_rss_mb")
    return _row(measure, f"{levels[top]['server_peak_rss_mb']:.0f} MB" + (f" (after one alone: {one:.0f} MB)" if one else ""),
                "(measured)", None, "—")


def workers_row(workers: dict[str, Any] | None) -> dict[str, Any]:
    workers = workers or {}
    rows = {r["workers"]: r for r in workers.get("rows", [])}
    cpus = workers.get("cpus")
    n = next(iter(rows.values()))["concurrency"] if rows else 100
    measure = f"workers: `fusion-tool serve --workers {cpus}` (the machine's CPUs) vs `--workers 1`, at {n} concurrent"
    errors = workers.get("errors") or []
    if not rows or any(not r.get("latencies") for r in rows.values()):
        bad = next((r for r in rows.values() if not r.get("latencies")), None)
        return _row(measure, errors[0] if errors else _error(bad), "(measured)", None)

    def describe(r: dict[str, Any]) -> str:
        return (f"median {statistics.median(r['latencies']):.3f} s, {r['requests'] / sum(r['walls']):.0f} req/s, "
                f"{r['cpu_ms_per_request']:.1f} ms CPU/req")

    one = rows.get(1)
    many = rows.get(cpus) if cpus and cpus > 1 else None
    if not many:
        return _row(measure, f"--workers 1: {describe(one)}", "(measured)", None)
    ratio = statistics.median(many["latencies"]) / statistics.median(one["latencies"])
    return _row(measure, f"--workers {cpus}: {describe(many)}; --workers 1: {describe(one)}; "
                f"median {ratio:.2f}x (serve as shipped, FUSION_* config: the panel is offered the web tools, "
                "so compare these with each other, not with the proxy rows)", "(measured)", None, "—")


def straggler_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    s = res.get("stragglers") or {}
    base, grace, nograce = _median(s.get("baseline")), _median(s.get("with_grace")), _median(s.get("without_grace"))
    if not (base and grace):
        return [_row("stragglers", _error(s.get("with_grace")), f"<= {TARGETS['stragglers']}x", None)] if s else []
    ratio = grace / base
    beyond = (grace - base - s["grace"]) * 1000  # what the pipeline adds besides the grace itself
    extra = f"; without grace {nograce:.2f} s" if nograce else ""
    return [_row(f"stragglers: 1 of 5 panelists 10x slower, grace {s['grace']:g} s ({label(s['variant'])})",
                 f"{grace:.3f} s vs {base:.3f} s without a straggler = {ratio:.3f}x "
                 f"(the grace itself {s['grace'] * 1000:.0f} ms, the rest {beyond:+.0f} ms){extra}",
                 f"<= {TARGETS['stragglers']}x", ratio <= TARGETS["stragglers"], "the same, no straggler")]


def passthrough_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    p = res.get("passthrough")
    if not p or not p.get("direct"):
        return [_row("proxy pass-through", _error(p), f"p50 < {TARGETS['passthrough_ms']} ms", None)] if p else []
    # the requests alternate (direct, proxied): the added latency is each pair's difference
    added = [(x - d) * 1000 for d, x in zip(p["direct"], p["proxy"])]
    added50, added99, direct = pct(added, 50), pct(added, 99), pct(p["direct"], 50) * 1000
    return [_row(f"proxy pass-through: added latency, {len(added)} pairs",
                 f"p50 {added50:.2f} ms, p99 {added99:.2f} ms", f"p50 < {TARGETS['passthrough_ms']} ms",
                 added50 < TARGETS["passthrough_ms"], f"direct p50 {direct:.2f} ms")]


def concurrency_rows(summary: dict[str, Any]) -> list[list[str]]:
    out = []
    for r in summary["results"]["concurrency"]:
        if not r.get("latencies"):
            out.append([r["front"], label(r["variant"]), str(r["concurrency"]), f"error: {r.get('error')}"] + [""] * 7)
            continue
        share = r.get("core_share") or {}
        rss = r.get("server_peak_rss_mb", r.get("peak_rss_mb"))
        out.append([
            r["front"], label(r["variant"]), str(r["concurrency"]), str(r["requests"]),
            f"{statistics.median(r['latencies']):.3f}", f"{pct(r['latencies'], 95):.3f}",
            f"{r['requests'] / sum(r['walls']):.1f}", f"{rss:.0f}" if rss else "?",
            f"{r['cpu_ms_per_request']:.1f}",
            f"{100 * share['provider']:.0f}%" if "provider" in share else "?",
            str(len(r["failures"])),
        ])
    return out


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(summary: dict[str, Any]) -> str:
    m = summary["machine"]
    head = (f"{summary['date'][:10]}, {summary['mode']} run ({summary['seconds']:.0f} s): {m['nproc']} cores "
            f"({m['cpu_model']}), Python {m['python']}, openai {m['versions'].get('openai')}, "
            f"httpx2 {m['versions'].get('httpx2')}, aiohttp {m['versions'].get('aiohttp')}")
    verdict = {True: "yes", False: "**no**", None: ""}
    rows = [[r["measure"], r["figure"], r["peer"], r["target"], verdict[r["met"]]] for r in summary["evaluation"]]
    parts = [head, "", _table(["measure", "figure", "floor / peer", "target", "met"], rows), "",
             ("Concurrent fused requests (5 panelists, judge and writer at 200 ms each; critical path 0.6 s). "
             "A burst of N requests at once, repeated; peak RSS and CPU are the serving process's own (the "
             "proxy's, or the library's when measured through the library; for `fusion-tool serve` its "
             "workers' summed), the peak being its high-water mark after the level (levels run in ascending "
             "order; each serve row is a fresh server, warmed by one burst); provider CPU is the scripted provider's "
             "share of one core during the level:"), "",
             _table(["front", "under the pipeline", "concurrent", "requests", "median s", "p95 s", "req/s",
                     "peak RSS MB", "CPU ms/req", "provider CPU", "failed"], concurrency_rows(summary))]
    if summary["notes"]:
        parts += [""] + [f"- {n}" for n in summary["notes"]]
    return "\n".join(parts)
