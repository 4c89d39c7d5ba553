"""How long the command line takes to answer in a fresh process: ``fusion-tool --help``,
``fusion-tool ask --help`` and an argument error (``fusion-tool ask --max-cost x``), beside
``python -c "import openai"`` alone (what a CLI that imported the SDK up front would pay).

Each command runs ``runs`` times after one unmeasured run (which warms the file cache; not in
``--quick``), each a new process; the wall time is from spawn to exit, as a shell user sees it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from servers import fusion_tool_command

#: name -> (argv after the fusion-tool command, or None for the python peer; the exit code it must end with)
COMMANDS: dict[str, tuple[list[str] | None, int]] = {
    "python -c 'import openai'": (None, 0),
    "fusion-tool --help": (["--help"], 0),
    "fusion-tool ask --help": (["ask", "--help"], 0),
    "fusion-tool ask --max-cost x": (["ask", "--max-cost", "x"], 2),
}


def measure(runs: int, warm: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    base = fusion_tool_command()
    for name, (tail, code) in COMMANDS.items():
        argv = [sys.executable, "-c", "import openai"] if tail is None else [*base, *tail]
        times, problems = [], []
        for n in range(runs + 1) if warm else range(1, runs + 1):
            started = time.perf_counter()
            done = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL, capture_output=True)
            seconds = time.perf_counter() - started
            if done.returncode != code:
                problems.append(f"exit {done.returncode}, expected {code}: {done.stderr.decode(errors='replace')[-300:]}")
            if n:  # the first run only warms the cache
                times.append(seconds)
        out[name] = {"argv": argv, "seconds": times, "median_s": statistics.median(times), "problems": problems}
    return out
