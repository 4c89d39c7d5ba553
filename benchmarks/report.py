"""The benchmark's figures against their targets, and the Markdown table printed and saved."""

from __future__ import annotations

import statistics
from typing import Any

TARGETS = {
    "overhead": 1.02,  # fused wall time / critical path
    "stragglers": 1.1,  # with grace, over the time without a straggler
    "concurrency": 1.2,  # median at 100 concurrent over one alone
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


def _row(measure: str, figure: str, target: str, met: bool | None) -> dict[str, Any]:
    return {"measure": measure, "figure": figure, "target": target,
            "met": None if met is None else bool(met)}


LABELS = {
    "default": "library as shipped (aiohttp client)",
    "httpx2": "library over the SDK's httpx2 client",
    "floor": "floor: bare aiohttp, no SDK/fusion",
}


def label(variant: str) -> str:
    return LABELS.get(variant, variant)


def evaluate(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per headline figure, with its target and whether it was met."""
    res, setup = summary["results"], summary["setup"]
    rows = []
    path = setup["critical_path_s"]
    floor = _median(res["overhead"].get("floor"))
    for variant, out in res["overhead"].items():
        if not out.get("latencies"):
            rows.append(_row(f"overhead ({label(variant)})", f"error: {out.get('error')}", "", False))
            continue
        ratios = [t / path for t in out["latencies"]]
        med = statistics.median(ratios)
        own = ""
        if floor and variant != "floor":
            own = f"; the library's own share {(statistics.median(out['latencies']) - floor) / path:+.1%}"
        rows.append(_row(
            f"overhead: fused / critical path, {len(ratios)} calls ({label(variant)})",
            f"median {med:.3f}x, max {max(ratios):.3f}x "
            f"({statistics.median(out['latencies']) * 1000:.0f} ms vs {path * 1000:.0f} ms){own}",
            f"<= {TARGETS['overhead']}", med <= TARGETS["overhead"]))
    for variant, out in res["overhead"].items():
        if out.get("latencies"):
            rows.append(_row(f"CPU per fused request, one at a time ({label(variant)})",
                             f"{out['cpu_ms_per_request']:.1f} ms", "(measured)", None))
    s = res.get("stragglers") or {}
    base, grace, nograce = _median(s.get("baseline")), _median(s.get("with_grace")), _median(s.get("without_grace"))
    if base and grace:
        ratio = grace / base
        beyond = (grace - base - s["grace"]) * 1000  # what the pipeline adds besides the grace itself
        extra = f"; without grace {nograce:.2f} s" if nograce else ""
        rows.append(_row(f"stragglers: 1 of 5 panelists 10x slower, grace {s['grace']:g} s ({label(s['variant'])})",
                         f"{grace:.3f} s vs {base:.3f} s without a straggler = {ratio:.3f}x "
                         f"(the grace itself {s['grace'] * 1000:.0f} ms, the rest {beyond:+.0f} ms){extra}",
                         f"<= {TARGETS['stragglers']}x", ratio <= TARGETS["stragglers"]))
    seen = []
    for r in res["concurrency"]:
        if (r["front"], r["variant"]) not in seen:
            seen.append((r["front"], r["variant"]))
    for front, variant in seen:
        levels = {r["concurrency"]: r for r in res["concurrency"] if (r["front"], r["variant"]) == (front, variant)}
        one, hundred = _median(levels.get(1)), _median(levels.get(100))
        if one and hundred:
            rows.append(_row(f"concurrency: median at 100 / at 1 ({front}: {label(variant)})",
                             f"{hundred:.3f} s / {one:.3f} s = {hundred / one:.2f}x",
                             f"<= {TARGETS['concurrency']}x", hundred / one <= TARGETS["concurrency"]))
    p = res.get("passthrough")
    if p and p.get("direct"):
        # the requests alternate (direct, proxied): the added latency is each pair's difference
        added = [(x - d) * 1000 for d, x in zip(p["direct"], p["proxy"])]
        added50, added99, direct = pct(added, 50), pct(added, 99), pct(p["direct"], 50) * 1000
        rows.append(_row(f"proxy pass-through: added latency, {len(added)} pairs",
                         f"p50 {added50:.2f} ms, p99 {added99:.2f} ms (direct p50 {direct:.2f} ms)",
                         f"p50 < {TARGETS['passthrough_ms']} ms", added50 < TARGETS["passthrough_ms"]))
    return rows


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
    rows = [[r["measure"], r["figure"], r["target"], verdict[r["met"]]] for r in summary["evaluation"]]
    parts = [head, "", _table(["measure", "figure", "target", "met"], rows), "",
             "Concurrent fused requests (5 panelists, judge and writer at 200 ms each; critical path 0.6 s). "
             "A burst of N requests at once, repeated; peak RSS and CPU are the serving process's own (the "
             "proxy's, or the library's when measured through the library), the peak being its high-water "
             "mark after the level (levels run in ascending order); provider CPU is the scripted provider's "
             "share of one core during the level:", "",
             _table(["front", "under the pipeline", "concurrent", "requests", "median s", "p95 s", "req/s",
                     "peak RSS MB", "CPU ms/req", "provider CPU", "failed"], concurrency_rows(summary))]
    if summary["notes"]:
        parts += [""] + [f"- {n}" for n in summary["notes"]]
    return "\n".join(parts)
