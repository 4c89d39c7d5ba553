"""Progress events of a fused call: logged as structlog events, and handed to a listener.

The CLI draws its live panel from these; a user may pass ``on_event`` to :func:`fuse` too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fusion_tool.core import telemetry
from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool")


@dataclass(frozen=True)
class Event:
    """One step of a fused call, as a progress display sees it.

    Attributes:
        kind: One of ``panelist_start``, ``panelist_tool``, ``panelist_done``, ``panelist_failed``,
            ``judge_start``, ``judge_done``, ``judge_failed``, ``writer_start``, ``writer_done``.
        model: The model the step is about.
        index: The panelist's seat (a model may sit twice); None for the judge and the writer.
        data: The step's figures: ``seconds``, ``tokens``, ``cost`` (None: unknown), ``tool``,
            ``error``, ``status_code``, as the kind has them; ``panelist_done`` also carries the
            answer (``content``) and its ``sources``, ``judge_done`` the ``analysis``.
    """

    kind: str
    model: str
    index: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[Event], None]

#: what an event carries for its listener but not into the log: a panelist's answer and sources
#: (``panelist_done``), the judge's analysis (``judge_done``); the Responses API streams them
UNLOGGED = frozenset({"content", "sources", "analysis"})


class Emitter:
    """Sends each event to the log and to an optional listener (whose errors are contained)."""

    def __init__(self, listener: Listener | None = None, **context: Any) -> None:
        self._listener = listener
        self._log = log.bind(**context) if context else log

    def __call__(self, kind: str, model: str, index: int | None = None, **data: Any) -> None:
        failed = kind.endswith("_failed")
        if self._log.isEnabledFor(logging.WARNING if failed else logging.INFO):  # not built only to be dropped
            logged = {k: v for k, v in data.items() if k not in UNLOGGED}
            (self._log.warning if failed else self._log.info)(kind, model=model, seat=index, **logged)
        telemetry.on_event(kind, model, index, data)  # the stage's span, and the metrics
        if self._listener is not None:
            try:
                self._listener(Event(kind, model, index, data))
            except Exception:  # a broken progress display must not break the call
                self._log.exception("listener_failed", kind=kind)
