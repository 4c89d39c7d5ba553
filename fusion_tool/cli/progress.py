"""Live per-panelist progress on stderr: waiting, running, searching, done, failed.

On a terminal a table redraws in place (rich); elsewhere each change is one plain line.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table

from fusion_tool.core.events import Event


def dollars(cost: float | None) -> str:
    """A cost for people: ``$0.0123``, or ``cost unknown`` when the provider reported none."""
    return "cost unknown" if cost is None else f"${cost:.4f}"


@dataclass
class Row:
    """One line of the display: a panelist, or the judge (the last row).

    Attributes:
        model: The model this row follows.
        state: ``waiting``, ``running``, ``searching``, ``reading``, ``done`` or ``failed``.
        detail: A note after the figures (``judge``, a failure's reason).
        started: ``time.monotonic()`` when it started; None: not yet.
        seconds: How long it took, once done or failed.
        tokens: Tokens over its calls.
        cost: Dollars over its calls; None: unknown (a call reported no cost).
    """

    model: str
    state: str = "waiting"
    detail: str = ""
    started: float | None = None
    seconds: float | None = None
    tokens: int = 0
    cost: float | None = 0.0


class Progress:
    """An ``on_event`` listener that draws the panel's progress."""

    def __init__(self, panel: tuple[str, ...], judge: str, stream: TextIO | None = None, label: str = "",
                 max_cost: float | None = None) -> None:
        self.rows = [Row(m) for m in panel] + [Row(judge)]
        self.max_cost = max_cost
        self.rows[-1].detail = "judge"
        self.console = Console(file=stream or sys.stderr, highlight=False)
        self.label = label
        self._live: Live | None = None

    def __enter__(self) -> Progress:
        if self.label:
            self.console.print(self.label, style="bold yellow")
        if self.console.is_terminal:
            self._live = Live(self._table(), console=self.console, refresh_per_second=8, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        row = self.rows[event.index] if event.index is not None else self.rows[-1]
        data = event.data
        kind = event.kind.split("_", 1)[1]
        if kind == "start":
            row.state, row.started = "running", time.monotonic()
        elif kind == "tool":
            row.state = "searching" if data.get("tool") == "web_search" else "reading"
        elif kind in ("done", "failed"):
            row.state = kind
            row.seconds = data.get("seconds")
            row.tokens, row.cost = data.get("tokens", row.tokens) or 0, data.get("cost", row.cost)
            if kind == "failed":
                row.detail = str(data.get("error", ""))[:60]
        if event.kind.startswith("writer"):
            row.detail = "judge, writing the answer" if kind == "start" else "judge"
        if self._live is not None:
            self._live.update(self._table())
        else:
            self.console.print(self._line(row) + (f"  ({self.running_cost()})" if kind in ("done", "failed") else ""))

    def running_cost(self) -> str:
        """The cost so far, against the ceiling when there is one: ``$0.0123 of $0.0500``."""
        costs = [r.cost for r in self.rows if r.tokens]
        spent = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
        ceiling = f" of ${self.max_cost:.4f}" if self.max_cost is not None else ""
        return f"{dollars(spent)} so far{ceiling}"

    def _line(self, row: Row) -> str:
        parts = [f"{row.model}: {row.state}"]
        if row.seconds is not None:
            parts.append(f"{row.seconds:.1f}s")
        if row.tokens:
            parts.append(f"{row.tokens} tokens, {dollars(row.cost)}")
        if row.detail:
            parts.append(row.detail)
        return "  ".join(parts)

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False)
        for column in ("model", "state", "time", "tokens", "cost", ""):
            table.add_column(column)
        styles = {"done": "green", "failed": "red", "running": "cyan", "searching": "cyan", "reading": "cyan"}
        for row in self.rows:
            seconds = row.seconds if row.seconds is not None else (
                time.monotonic() - row.started if row.started else None)
            table.add_row(
                row.model, f"[{styles.get(row.state, 'dim')}]{row.state}[/]",
                f"{seconds:.1f}s" if seconds is not None else "", str(row.tokens or ""),
                "unknown" if row.cost is None else f"${row.cost:.4f}" if row.cost else "", row.detail,
            )
        table.caption = self.running_cost()
        return table
