"""The evaluation's progress bar on stderr (rich): answers and gradings done of all there are,
counting what the cache already holds as done; failures are printed above the bar."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from fusion_tool.eval.runner import Outcome
from fusion_tool.eval.runner import Progress as Listener


class Bar(Listener):
    def __init__(self, *, enabled: bool = True, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console or Console(stderr=True), disable=not enabled,
        )
        self._task: Any = None
        self._failed = 0

    def __enter__(self) -> Bar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, total: int, done: int) -> None:
        self._task = self._progress.add_task("answering and grading", total=total, completed=done, failed=0)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def failed(self, outcome: Outcome) -> None:
        self._failed += 1
        if self._task is not None:
            self._progress.update(self._task, failed=self._failed)
        self._progress.console.print(f"failed: {outcome.config.name} on task {outcome.task.id}: {outcome.error}",
                                     markup=False, highlight=False, soft_wrap=True)
