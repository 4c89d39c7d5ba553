"""The report of an evaluation: score, cost and latency per configuration and per domain, as
``results.json``, a Markdown table (``report.md``) and a chart of score against cost
(``score_vs_cost.png``, with matplotlib from the ``[eval]`` extra).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fusion_tool.core.usage import total_cost
from fusion_tool.eval.runner import Outcome, Settings
from fusion_tool.eval.score import mean

CHART = "score_vs_cost.png"


def summarize(outcomes: Sequence[Outcome], settings: Settings) -> dict[str, Any]:
    """Per configuration (in the order given) and per domain: the figures of the report."""
    configs: dict[str, list[Outcome]] = {}
    for o in outcomes:
        configs.setdefault(o.config.name, []).append(o)
    domains = sorted({o.task.domain for o in outcomes})
    rows = []
    for name, items in configs.items():
        scored = [o for o in items if o.score is not None]
        answered = [o.answer for o in items if o.answer is not None]
        seconds = [a["seconds"] for a in answered]
        cost_total = total_cost(a["cost"] for a in answered)  # None: some answer's cost is unknown
        by_domain = {}
        for domain in domains:
            values = [o.score for o in scored if o.task.domain == domain]
            by_domain[domain] = {"score": mean(values), "tasks": len(values)}
        rows.append({
            "config": name,
            "tasks": len(items),
            "scored": len(scored),
            "failed": [{"task": o.task.id, "error": o.error} for o in items if o.error],
            "score": mean([o.score for o in scored]),
            "score_stdev": statistics.stdev([o.score for o in scored]) if len(scored) > 1 else None,
            "cost_per_task": None if cost_total is None else mean([a["cost"] for a in answered]),
            "cost_total": cost_total,
            "tokens_per_task": mean([a["tokens"] for a in answered]),
            "latency_median_s": statistics.median(seconds) if seconds else None,
            "latency_mean_s": mean(seconds),
            "grading_cost": total_cost(o.grading_cost for o in items),
            "domains": by_domain,
        })
    return {
        "grader": settings.grader,
        "repeats": settings.repeats,
        "web": settings.web,
        "excluded_domains": list(settings.excluded_domains),
        "domains": domains,
        "configurations": rows,
        "tasks": [{"task": o.task.id, "domain": o.task.domain, "config": o.config.name, "score": o.score,
                   "cost": o.answer["cost"] if o.answer else None,
                   "seconds": o.answer["seconds"] if o.answer else None, "error": o.error} for o in outcomes],
    }


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def _dollars(value: float | None, missing: str = "–") -> str:
    if value is None:
        return missing
    return f"{value:.4f}" if value >= 0.01 or value == 0 else f"{value:.6f}"


def markdown(summary: dict[str, Any], chart_file: str | None = None) -> str:
    rows = summary["configurations"]
    lines = [
        f"Grader: `{summary['grader']}`, {summary['repeats']} grading(s) per criterion; "
        f"panel web tools {'on' if summary['web'] else 'off'} (solo models answer without tools); "
        f"excluded domains: {', '.join(summary['excluded_domains']) or 'none'}.",
        "",
        "| configuration | score | tasks scored | cost / task ($) | tokens / task | median latency (s) | failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| `{r['config']}` | {_num(r['score'], '.1f')} | {r['scored']}/{r['tasks']} | "
                     f"{_dollars(r['cost_per_task'], '–' if r['cost_total'] is not None else 'unknown')} | "
                     f"{_num(r['tokens_per_task'], '.0f')} | "
                     f"{_num(r['latency_median_s'], '.2f')} | {len(r['failed'])} |")
    lines += ["", "Score by domain (tasks scored):", "",
              "| configuration | " + " | ".join(summary["domains"]) + " |",
              "| --- |" + " ---: |" * len(summary["domains"])]
    for r in rows:
        cells = [f"{_num(r['domains'][d]['score'], '.1f')} ({r['domains'][d]['tasks']})" for d in summary["domains"]]
        lines.append(f"| `{r['config']}` | " + " | ".join(cells) + " |")
    failures = [(r["config"], f) for r in rows for f in r["failed"]]
    if failures:
        lines += ["", "Not finished (run again to resume):", ""]
        lines += [f"- `{config}` task {f['task']}: {f['error']}" for config, f in failures]
    grading = total_cost(r["grading_cost"] for r in rows)
    shown = "unknown (the grader's provider reports no cost)" if grading is None else f"${grading:.4f}"
    lines += ["", f"Grading cost: {shown} (not counted in the configurations' cost)."]
    if chart_file:
        lines += ["", f"![score against cost]({chart_file})"]
    return "\n".join(lines) + "\n"


def chart(summary: dict[str, Any], path: Path) -> bool:
    """Score against cost per task, one point per configuration; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    points = [r for r in summary["configurations"] if r["score"] is not None and r["cost_per_task"] is not None]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for fused, label in ((False, "solo model"), (True, "fusion")):
        group = [r for r in points if (not r["config"].startswith("solo:")) == fused]
        if group:
            ax.scatter([r["cost_per_task"] for r in group], [r["score"] for r in group], s=60, label=label,
                       marker="o" if fused else "s", color="tab:blue" if fused else "tab:gray")
    for r in points:
        ax.annotate(r["config"], (r["cost_per_task"], r["score"]), textcoords="offset points", xytext=(6, 4),
                    fontsize=7)
    ax.set_xlabel("mean cost per task ($)")
    ax.set_ylabel("mean score (0-100)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max([r["cost_per_task"] for r in points], default=0) * 1.15 or 1)
    ax.set_title(f"DRACO-format score against cost (grader {summary['grader']})", fontsize=9)
    ax.grid(alpha=0.3)
    if points:
        ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return True


def write(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """``results.json``, ``report.md`` and (with matplotlib) the chart; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "report.md"]
    drawn = chart(summary, out_dir / CHART)
    paths[0].write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(markdown(summary, CHART if drawn else None), encoding="utf-8")
    return paths + ([out_dir / CHART] if drawn else [])
