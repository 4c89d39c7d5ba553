"""Scouts against the whole panel, on the scripted provider (issue 16).

Four panelists (two cheap, two dear, OpenRouter-like prices), a judge; every model answers
after a scripted delay. For agreeing questions (the judge finds no contradictions) and contested
ones (it finds one), each question is fused with ``strategy="panel"`` and ``strategy="scout"``;
cost is the provider's reported cost, latency the wall time of the fused call.

    python benchmarks/spend.py [--questions 10] [--delay 0.2]   # JSON into benchmarks/results/spend.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from fusion_tool import FusionConfig, fuse
from fusion_tool.testing import Reply, ScriptedProvider

#: dollars per token (prompt, completion): cheap, cheap, dear, dear, and the judge
PRICES = {"cheap-a": (1e-7, 4e-7), "cheap-b": (1.5e-7, 6e-7), "dear-a": (3e-6, 1.5e-5), "dear-b": (1.25e-6, 1e-5),
          "judge": (3e-7, 2.5e-6)}
AGREE = {"consensus": ["the effect holds"], "contradictions": [], "partial_coverage": [], "unique_insights": [],
         "blind_spots": []}
CONTESTED = {**AGREE, "contradictions": [{"topic": "size of the effect", "stances": [
    {"model": "Response 1", "stance": "large"}, {"model": "Response 2", "stance": "none"}]}]}


async def one(strategy: str, contested: bool, delay: float, question: str) -> dict[str, float]:
    answer = "The evidence from trials and observational studies points one way, with caveats. " * 30
    behaviours: dict = {m: Reply(text=answer, delay=delay) for m in PRICES if m != "judge"}
    behaviours["judge"] = Reply(json=CONTESTED if contested else AGREE, delay=delay)
    provider = ScriptedProvider(behaviours, prices=PRICES, publish_prices=True)
    config = FusionConfig(panel=("dear-a", "dear-b", "cheap-a", "cheap-b"), judge="judge", tools=(),
                          strategy=strategy)
    started = time.perf_counter()
    result = await fuse(question, config=config, client=provider.async_openai())
    seconds = time.perf_counter() - started
    assert result.status == "ok"
    return {"cost": provider.total_usage()["cost"], "seconds": seconds, "calls": len(provider.requests)}


async def main(questions: int, delay: float) -> dict:
    out: dict = {"questions": questions, "delay_seconds": delay, "prices_per_token": PRICES}
    for kind, contested in (("agreeing", False), ("contested", True)):
        runs = {s: [await one(s, contested, delay, f"Question {i}: what does the evidence say?")
                    for i in range(questions)] for s in ("panel", "scout")}
        summary = {s: {"cost_mean": statistics.mean(r["cost"] for r in rs),
                       "seconds_median": statistics.median(r["seconds"] for r in rs),
                       "calls": rs[0]["calls"]} for s, rs in runs.items()}
        summary["cost_saved_pct"] = round(100 * (1 - summary["scout"]["cost_mean"] / summary["panel"]["cost_mean"]), 1)
        summary["extra_seconds_median"] = round(summary["scout"]["seconds_median"]
                                                - summary["panel"]["seconds_median"], 3)
        out[kind] = summary
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    result = asyncio.run(main(args.questions, args.delay))
    path = Path(__file__).parent / "results" / "spend.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
