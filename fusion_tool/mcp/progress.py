"""Progress of one ``fusion`` call as MCP ``notifications/progress``.

The pipeline's events arrive through a plain (sync) listener; :class:`Progress` queues them
and one task sends them, in order, against the client's ``progressToken`` (the SDK sends
nothing when the client asked for no progress). Each panelist's start and end and the judge's
start and end count one step each, so ``total`` is ``2 * panelists + 2``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fusion_tool.core.events import Event
from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool.mcp")

#: sends one notification: (progress, total, message)
Report = Callable[[float, float | None, str | None], Awaitable[None]]

_STEPS = {"panelist_start", "panelist_done", "panelist_failed", "judge_start", "judge_done", "judge_failed"}


def describe(event: Event, panel_size: int) -> str:
    """The notification's message for one event."""
    data = event.data
    if event.kind == "panelist_start":
        seat = f" (panelist {event.index + 1} of {panel_size})" if event.index is not None else ""
        return f"{event.model}: started{seat}"
    if event.kind == "panelist_done":
        return f"{event.model}: done in {data.get('seconds', 0):.1f} s"
    if event.kind == "panelist_failed":
        return f"{event.model}: failed: {data.get('error') or 'unknown error'}"
    if event.kind == "judge_start":
        return f"judge {event.model}: comparing the answers"
    if event.kind == "judge_done":
        return f"judge {event.model}: done in {data.get('seconds', 0):.1f} s"
    return f"judge {event.model}: failed: {data.get('error') or 'unknown error'}"


class Progress:
    """A pipeline listener that forwards its steps to ``report``; use ``async with``."""

    def __init__(self, report: Report, panel_size: int) -> None:
        self._report = report
        self._panel_size = panel_size
        self.total = float(2 * panel_size + 2)
        self._done = 0
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def __call__(self, event: Event) -> None:
        if event.kind in _STEPS:
            self._queue.put_nowait(event)

    async def _send(self) -> None:
        while (event := await self._queue.get()) is not None:
            self._done += 1
            try:
                await self._report(float(self._done), self.total, describe(event, self._panel_size))
            except Exception:  # a client that cannot take progress still gets its result
                log.warning("mcp_progress_failed", exc_info=True)

    async def __aenter__(self) -> Progress:
        self._task = asyncio.create_task(self._send(), name="fusion-mcp-progress")
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        assert self._task is not None
        try:
            if exc_type is None:  # send what is queued before the result goes out
                self._queue.put_nowait(None)
                await self._task
        finally:
            self._task.cancel()  # cancelled call: nothing more to say
