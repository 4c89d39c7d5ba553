"""The deliberation gate on its development set: a table per split, category and language, and
its latency; JSON in benchmarks/results/gate.json.

    python benchmarks/gate.py             # the table for train, validation and test, and latency
    python benchmarks/gate.py --errors    # and every wrong decision on train and validation
    python benchmarks/gate.py --dev       # train and validation only, while developing
    python benchmarks/gate.py --fit       # refit the model on the train split (writes weights.py)

Columns: short triggered (prompts under the floor let in; the target is 0), tactical kept out,
plain kept out, deliberate let in, conversations right (whole transcripts, judged on the
latest turn). The model is fitted on train and tuned on validation; test is only reported.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fusion_tool.modes.gate import DEFAULT_MIN_WORDS, count_words, latest_turn, shape_of, should_deliberate  # noqa: E402
from fusion_tool.modes.gate.features import MODEL_FEATURES as FEATURES  # noqa: E402

DATA = ROOT / "tests" / "data" / "gate"
RESULTS = ROOT / "benchmarks" / "results" / "gate.json"
WEIGHTS = ROOT / "fusion_tool" / "modes" / "gate" / "weights.py"
SPLITS = ("train", "validation", "test")
LANGS = ("en", "zh", "ja", "ko", "es", "de", "fr", "pt", "hi", "ar", "ru", "it")
COLUMNS = (("short", "short triggered"), ("tactical", "tactical kept out"), ("plain", "plain kept out"),
           ("deliberate", "deliberate let in"), ("conversations", "conversations right"))
CLASSES = ("tactical", "plain", "deliberate")
TARGETS = {"short triggered": 0, "tactical kept out": 0.95, "plain kept out": 0.90, "deliberate let in": 0.95,
           "conversations right": 0.95, "p99_ms": 1.0}
L2, STEPS, RATE = 0.01, 1500, 0.05
LATENCY_RUNS = 2000


def load() -> list[dict]:
    rows = []
    for name in ("prompts.jsonl", "conversations.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def column(row: dict) -> str:
    return "conversations" if "messages" in row else row["category"]


def score(rows: list[dict]) -> tuple[dict, list[tuple[dict, object]]]:
    """Per column and per language × column: [right, total] (for short: [triggered, total])."""
    cells: dict = {}
    wrong = []
    for row in rows:
        decision = should_deliberate(row["messages"] if "messages" in row else row["prompt"])
        right = decision.deliberate == row["deliberate"]
        col = column(row)
        for key in (col, f"{row['lang']}:{col}"):
            cell = cells.setdefault(key, [0, 0])
            cell[0] += (decision.deliberate if col == "short" else right)
            cell[1] += 1
        if not right:
            wrong.append((row, decision))
    return cells, wrong


def _fmt(cell: list[int] | None, col: str) -> str:
    if not cell:
        return "—"
    hit, total = cell
    return f"{hit} / {total}" if col in ("short", "conversations") else f"{hit / total:.0%} ({hit}/{total})"


def table(cells: dict, title: str) -> str:
    head = f"| {title} | " + " | ".join(name for _, name in COLUMNS) + " |"
    lines = [head, "|" + " --- |" * (len(COLUMNS) + 1)]
    lines.append("| all | " + " | ".join(_fmt(cells.get(col), col) for col, _ in COLUMNS) + " |")
    for lang in LANGS:
        lines.append(f"| {lang} | " + " | ".join(_fmt(cells.get(f"{lang}:{col}"), col) for col, _ in COLUMNS) + " |")
    return "\n".join(lines)


def long_prompt(words: int = 2000) -> str:
    """A 2,000-word turn of the user's own words: a situation, numbers, options, questions."""
    base = ("We run a logistics company with 340 employees across 6 depots, and our board must decide by June "
            "whether to electrify the fleet of 120 vans now, lease hydrogen trucks for the long routes, or wait "
            "three years; diesel costs us 2.1 million a year, the grid connection at two depots is limited, and "
            "our biggest customer wants emissions cut by 40% before renewing. What would you recommend, what "
            "are we missing, and where is the evidence weakest? ")
    text = []
    while sum(len(t.split()) for t in text) < words:
        text.append(base)
    return "".join(text)


def latency_prompts() -> dict[str, str]:
    """The 2,000-word turns timed: English own words; half of them pasted code; Chinese (4,000
    characters, 2,000 words by the CJK ratio); Arabic."""
    zh = ("我们公司有三百四十名员工，分布在六个仓库，董事会必须在六月前决定是现在把一百二十辆货车电动化，还是为长途线路租赁氢能卡车，"
          "或者再等三年；柴油每年花费我们两百一十万，我们最大的客户希望在续约前把排放减少百分之四十。你会推荐什么？我们遗漏了什么？")
    ar = ("نحن شركة لوجستية لديها ثلاثمائة وأربعون موظفاً في ستة مستودعات، ويجب على مجلس الإدارة أن يقرر قبل يونيو ما إذا كان "
          "سيحول أسطول الشاحنات إلى الكهرباء الآن أم ينتظر ثلاث سنوات. ماذا تنصح؟ ")
    return {"english_2000_words": long_prompt(),
            "english_1000_words_and_1000_pasted": long_prompt(1000) + "\n\n```\n" + "x = compute(a, b)  # evidence\n" * 200
            + "```",
            "chinese_4000_characters": (zh * 40)[:4000],
            "arabic_2000_words": ar * (2000 // len(ar.split()) + 1)}


def latency(prompt: str, runs: int = LATENCY_RUNS) -> dict:
    """Wall-clock and CPU time per decision (CPU time leaves out the moments another process held the
    core: on a shared machine the wall-clock tail measures the neighbours as much as the gate)."""
    for _ in range(50):
        should_deliberate(prompt)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        should_deliberate(prompt)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - t0) * 1000)
    wall.sort()
    cpu.sort()
    p99 = int(0.99 * runs) - 1
    return {"words": count_words(prompt), "runs": runs, "p50_ms": round(statistics.median(wall), 3),
            "p99_ms": round(wall[p99], 3), "max_ms": round(wall[-1], 3), "cpu_p50_ms": round(statistics.median(cpu), 3),
            "cpu_p99_ms": round(cpu[p99], 3), "load_average": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}


# ---------------------------------------------------------------------------------------- fitting

def training_rows(rows: list[dict]) -> list[tuple[list[float], int, float]]:
    """(features, class) for every train row above the floor whose latest turn is a request."""
    out = []
    for row in rows:
        if row["split"] != "train" or row["category"] not in CLASSES:
            continue
        text = latest_turn(row["messages"] if "messages" in row else row["prompt"])
        if text is None:
            continue
        counted, seen = shape_of(text)
        if int(counted.rstrip("+")) < DEFAULT_MIN_WORDS:
            continue
        label = CLASSES.index(row["category"])
        out.append(([seen.values[f] for f in FEATURES], label, 1.0))
    return out


def fit(data: list[tuple[list[float], int, float]]) -> tuple[list[float], list[list[float]]]:
    """Multinomial logistic regression (weighted rows), L2 on the weights, full-batch Adam from zero:
    deterministic."""
    k, d = len(CLASSES), len(FEATURES)
    w = [[0.0] * (d + 1) for _ in range(k)]  # the last column is the bias
    m = [[0.0] * (d + 1) for _ in range(k)]
    v = [[0.0] * (d + 1) for _ in range(k)]
    xs = [(x + [1.0], y, weight) for x, y, weight in data]
    total_weight = sum(weight for _, _, weight in xs)
    for step in range(1, STEPS + 1):
        grad = [[0.0] * (d + 1) for _ in range(k)]
        for x, y, weight in xs:
            z = [sum(a * b for a, b in zip(w[c], x)) for c in range(k)]
            top = max(z)
            e = [math.exp(a - top) for a in z]
            total = sum(e)
            for c in range(k):
                g = weight * (e[c] / total - (c == y))
                row = grad[c]
                for j, a in enumerate(x):
                    if a:
                        row[j] += g * a
        for c in range(k):
            for j in range(d + 1):
                g = grad[c][j] / total_weight + (L2 * w[c][j] if j < d else 0.0)
                m[c][j] = 0.9 * m[c][j] + 0.1 * g
                v[c][j] = 0.999 * v[c][j] + 0.001 * g * g
                w[c][j] -= RATE * (m[c][j] / (1 - 0.9 ** step)) / (math.sqrt(v[c][j] / (1 - 0.999 ** step)) + 1e-8)
    return [w[c][d] for c in range(k)], [[w[c][j] for c in range(k)] for j in range(d)]


def write_weights(bias: list[float], rows: list[list[float]], n: int) -> None:
    lines = ['"""The gate\'s model, generated by ``python benchmarks/gate.py --fit`` from the train split of',
             f"tests/data/gate ({n} turns above the floor): a multinomial logistic regression over the shape",
             f"features, L2 {L2}, {STEPS} full-batch Adam steps from zero. Refit rather than edit by hand.",
             '"""', "", f"CLASSES = {CLASSES!r}", f"BIAS = ({', '.join(f'{b:.4f}' for b in bias)})",
             "WEIGHTS = {  # feature: (tactical, plain, deliberate)"]
    for name, row in zip(FEATURES, rows):
        lines.append(f"    {name!r}: ({', '.join(f'{a:.4f}' for a in row)}),")
    lines.append("}")
    WEIGHTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fit", action="store_true", help="refit the model on the train split")
    parser.add_argument("--errors", action="store_true", help="list wrong decisions on train and validation")
    parser.add_argument("--dev", action="store_true", help="train and validation only (while developing)")
    args = parser.parse_args()
    rows = load()
    if args.fit:
        data = training_rows(rows)
        t0 = time.perf_counter()
        bias, weights = fit(data)
        write_weights(bias, weights, len(data))
        print(f"fitted on {len(data)} train turns in {time.perf_counter() - t0:.1f} s -> {WEIGHTS.relative_to(ROOT)}")
        return
    report: dict = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "targets_on_test": TARGETS,
                    "cells": "[right, total] per column and per language:column (short: [let in, total])",
                    "splits": {}, "machine": {"python": platform.python_version(), "platform": platform.platform()}}
    for split in SPLITS[:2] if args.dev else SPLITS:
        cells, wrong = score([r for r in rows if r["split"] == split])
        report["splits"][split] = cells
        print(table(cells, split) + "\n")
        if args.errors and split != "test":
            for row, decision in wrong:
                text = row.get("prompt") or json.dumps(row["messages"][-1], ensure_ascii=False)
                print(f"  {row['id']} [{row['kind']}] label={row['deliberate']} {decision.reasons[:2]} "
                      f"score={decision.score} :: {text[:100]!r}")
            print()
    report["latency"] = {name: latency(prompt) for name, prompt in latency_prompts().items()}
    for name, lat in report["latency"].items():
        print(f"latency, {name} ({lat['words']} words): p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms wall-clock; "
              f"CPU p50 {lat['cpu_p50_ms']} ms, p99 {lat['cpu_p99_ms']} ms ({lat['runs']} runs, load {lat['load_average']} "
              f"on {lat['cpus']} CPUs)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s+(\d+),\s+(\d+)\s+\]", r"[\1, \2]", text)  # a cell on one line
    RESULTS.write_text(text + "\n", encoding="utf-8")
    print(f"-> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
