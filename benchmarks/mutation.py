"""Mutation testing, module by module: how many planted bugs the tests that cover a module kill.

    python benchmarks/mutation.py                    # every module below, then the table
    python benchmarks/mutation.py retry fence        # some of them
    python benchmarks/mutation.py retry --survivors  # and the diff of each mutant that survived
    python benchmarks/mutation.py tool --equivalents # and of each one listed as equivalent, to review

Each module runs with mutmut (3.x, in the ``dev`` extra) in a fresh copy of the checkout (its
``fusion_tool/``, ``schemas/``, ``tests/`` and ``pyproject.toml``), mutating only that module and
running only the tests that cover it, so runs never touch the work tree and never mix. The
score is killed / (mutants - equivalent): ``EQUIVALENT`` lists mutants that change no behaviour
(reviewed by hand, with the reason), keyed by mutmut's stable names. Slow (minutes per module
on 2 cores): kept out of the default test run and out of ``.ci/run``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("fusion_tool", "schemas", "tests", "pyproject.toml")


@dataclass(frozen=True)
class Target:
    """A module where a silent bug costs users most, and the tests that cover it."""

    paths: tuple[str, ...]
    tests: tuple[str, ...]


TARGETS: dict[str, Target] = {
    "addresses": Target(("fusion_tool/pipeline/research/addresses.py",), ("tests/test_addresses.py",
                                                                        "tests/test_research_fetch.py")),
    "fetch": Target(("fusion_tool/pipeline/research/fetch.py",), ("tests/test_fetch_seam.py",
                                                                  "tests/test_research_fetch.py",
                                                                  "tests/test_fetch_pages.py")),
    "fence": Target(("fusion_tool/pipeline/fence.py",), ("tests/test_fence.py", "tests/test_fence_format.py")),
    "citations": Target(("fusion_tool/modes/citations.py",), (
        "tests/test_citations.py", "tests/test_research_pipeline.py",
        "tests/test_bite.py::test_a_citation_matches_the_whole_url_not_the_host",
        "tests/test_bite.py::test_only_retrieved_urls_are_cited",
        "tests/test_bite.py::test_a_streamed_answer_cites_only_retrieved_urls")),
    "usage": Target(("fusion_tool/core/usage.py",), (
        "tests/test_usage.py", "tests/test_cost.py",
        "tests/test_bite.py::test_alias_usage_sums_every_field_the_provider_reported",
        "tests/test_bite.py::test_streamed_usage_sums_every_field_the_provider_reported")),
    "tool": Target(("fusion_tool/modes/tool.py",), ("tests/test_tool_mode.py", "tests/test_tool_guards.py",
                                                    "tests/test_tool_rounds.py")),
    "config": Target(("fusion_tool/core/config.py",), ("tests/test_config.py", "tests/test_config_validation.py")),
    "retry": Target(("fusion_tool/provider/retry.py",), ("tests/test_retry.py",)),
    # the gate's logic; its cue lists (cues_*.py, lexicon.py) are data, measured by the labelled set
    "gate": Target(tuple(f"fusion_tool/modes/gate/{m}.py" for m in ("__init__", "features", "paste", "words",
                                                                   "model", "reasons")),
                   ("tests/test_gate.py", "tests/test_gate_rules.py",
                    "tests/test_bite.py::test_tactical_requests_do_not_deliberate_and_say_why")),
}

#: mutants that change no behaviour, by mutmut's name, with why (a score excludes them); the
#: numbers are mutmut's and hold while the function is unchanged: review them when it changes
_SAME_KEY = "both sides of the comparison get the same key"
EQUIVALENT: dict[str, str] = {
    "fusion_tool.provider.retry.x_backoff__mutmut_15": "2 ** 64 or 2 ** 65: past the cap either way",
    "fusion_tool.provider.retry.x_retry_after__mutmut_20": "RETRY_AFTER_CAP + 1 or + 2: past the cap either way",
    "fusion_tool.provider.retry.x_decide__mutmut_18": "an unknown x-should-retry ('' or 'XXXX') is no hint",
    "fusion_tool.core.config.x__dollars__mutmut_14": "float('INF') is float('inf'): float() reads it in any case",
    "fusion_tool.core.config.xǁLogSettingsǁfrom_env__mutmut_31": "FUSION_LOG unset: '' or 'XXXX', neither is 'json'",
    "fusion_tool.provider.retry.x_decide__mutmut_78": ">= or > deadline: now + delay == deadline to the float is never observable",
    "fusion_tool.core.usage.x_total_cost__mutmut_10": "rounding to 1e-12 or 1e-13 dollars: no price differs",
    "fusion_tool.modes.citations.x__key__mutmut_8": "scheme.upper(): " + _SAME_KEY,
    "fusion_tool.modes.citations.x__key__mutmut_11": "netloc.upper(): " + _SAME_KEY,
    "fusion_tool.modes.citations.x__key__mutmut_12": "rstrip('XX.XX') after lower(): no 'X' is left to strip",
    "fusion_tool.modes.citations.x__key__mutmut_13": "fragment 'XXXX' instead of '': " + _SAME_KEY,
    "fusion_tool.modes.citations.x_annotate__mutmut_11": "text or 'XXXX': 'XXXX' holds no URL either",
    "fusion_tool.pipeline.research.addresses.x__ipv4_part__mutmut_13": "'0' read in base 8 or 10 is 0",
    "fusion_tool.pipeline.research.addresses.x__ipv4_part__mutmut_21": "octal digits plus 'X': the host is lower-case",
    "fusion_tool.pipeline.research.addresses.x__ipv4_part__mutmut_33": "int(part) is int(part, 10)",
    "fusion_tool.pipeline.research.addresses.x_name_problem__mutmut_5": "rstrip('XX.XX') after lower(): no 'X'",
    # unfence: each block is cut off ``rest`` once read, so the search always starts at its own block
    "fusion_tool.pipeline.fence.x_unfence__mutmut_16": "index('>>>\\n') from 0: the first is this block's header",
    "fusion_tool.pipeline.fence.x_unfence__mutmut_18": "index('>>>\\n') from 0: the first is this block's header",
    "fusion_tool.pipeline.fence.x_unfence__mutmut_24": "index(end) from 0: no body holds the marker",
    "fusion_tool.pipeline.fence.x_unfence__mutmut_26": "index(end) from 0: no body holds the marker",
    "fusion_tool.pipeline.fence.x_unfence__mutmut_30": "cut len(end) early: a header is longer than an END line",
}


#: more of them, one file a module (``benchmarks/equivalent/<module>.json``: ``{mutant: why}``)
for _extra in sorted((Path(__file__).resolve().parent / "equivalent").glob("*.json")):
    EQUIVALENT.update(json.loads(_extra.read_text()))


def _files() -> list[Path]:
    """What to copy: the checkout's files under COPIED (git's view when there is one)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", *COPIED], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split("\n")
        return [ROOT / p for p in listed if p and (ROOT / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [p for name in COPIED for p in ([ROOT / name] if (ROOT / name).is_file() else
                                              (ROOT / name).rglob("*")) if p.is_file() and "__pycache__" not in p.parts]


def _config(pyproject: str, target: Target) -> str:
    """``pyproject`` with its [tool.mutmut] table replaced by one for ``target``."""
    kept = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", pyproject)
    tests = [t for t in target.tests if (ROOT / t.split("::")[0]).exists()]
    return kept.rstrip() + "\n\n" + "\n".join([
        "[tool.mutmut]",
        'source_paths = ["fusion_tool"]',
        f"only_mutate = {json.dumps(list(target.paths))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "--hypothesis-seed=0"]',
        'also_copy = ["schemas"]',
    ]) + "\n"


def _mutmut(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mutmut", *args], check=False, cwd=work, capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def run(name: str, target: Target, *, children: int, survivors: bool, show_equivalent: bool = False) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix=f"fusion-mutmut-{name}-"))
    try:
        for path in _files():
            dest = work / path.relative_to(ROOT)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        (work / "pyproject.toml").write_text(_config((ROOT / "pyproject.toml").read_text(), target))
        started = time.monotonic()
        ran = _mutmut(work, "run", "--max-children", str(children))
        if "failed to collect stats" in ran.stdout or (ran.returncode != 0 and not (work / "mutants").exists()):
            raise RuntimeError(f"mutmut failed on {name} (the tests must pass unmutated first):\n"
                               f"{ran.stdout[-3000:]}\n{ran.stderr[-2000:]}")
        _mutmut(work, "export-cicd-stats")
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        results = _mutmut(work, "results", "--all", "true").stdout
        alive = [line.split(":")[0].strip() for line in results.splitlines()
                 if line.strip().endswith(("survived", "no tests"))]
        equivalent = [m for m in alive if m in EQUIVALENT]
        live = [m for m in alive if m not in EQUIVALENT]
        # listed as changing nothing, yet killed: renumbered since it was reviewed (review the list)
        modules = tuple(p.removesuffix(".py").replace("/", ".") + "." for p in target.paths)
        stale = [m for m in EQUIVALENT if m.startswith(modules) and m not in alive]
        total = stats["total"] - len(equivalent)
        row = {"module": name, "paths": list(target.paths), "mutants": stats["total"], "killed": stats["killed"],
               "equivalent": len(equivalent), "survived": live, "timeout": stats.get("timeout", 0),
               "score": round(100 * (stats["killed"] + stats.get("timeout", 0)) / total, 1) if total else 100.0,
               "seconds": round(time.monotonic() - started)}
        if survivors:
            for mutant in live:
                print(_mutmut(work, "show", mutant).stdout, flush=True)
        if show_equivalent:
            for mutant in equivalent:
                print(f"# listed as equivalent: {EQUIVALENT[mutant]}\n" + _mutmut(work, "show", mutant).stdout, flush=True)
        for mutant in stale:
            print(f"{name}: {mutant} is listed as equivalent but was killed: renumbered? review EQUIVALENT", flush=True)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| module | mutants | killed | equivalent | killed % |", "| --- | ---: | ---: | ---: | ---: |"]
    for r in rows:
        paths = ", ".join(f"`{p.removeprefix('fusion_tool/')}`" for p in r["paths"])  # type: ignore[union-attr]
        lines.append(f"| {r['module']} ({paths}) | {r['mutants']} | {r['killed']} | {r['equivalent']} | {r['score']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"some of: {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--survivors", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--equivalents", action="store_true",
                        help="print the diff of every mutant listed as equivalent, to review the list")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    if unknown := [m for m in args.modules if m not in TARGETS]:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    rows = []
    for name in args.modules or list(TARGETS):
        row = run(name, TARGETS[name], children=args.max_children, survivors=args.survivors,
                  show_equivalent=args.equivalents)
        rows.append(row)
        print(f"{name}: {row['killed']}/{row['mutants']} killed, {row['equivalent']} equivalent, "
              f"{row['score']}% ({row['seconds']} s); survived: {', '.join(row['survived']) or 'none'}",  # type: ignore[arg-type]
              flush=True)
    print("\n" + table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
