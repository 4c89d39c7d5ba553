"""One structlog event per request: method, path, mode, status, seconds.

``mode`` (alias, tool, pass) is what the handler found; ``client_gone`` marks a request whose
client disconnected before its response was complete (status 499 when nothing was sent yet).
Query strings and headers are not logged.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from fusion_tool.core.log import get_logger
from fusion_tool.proxy.watched import Watched

log = get_logger("fusion_tool.proxy")

CLIENT_CLOSED_REQUEST = 499  # nginx's name for "the client left before the answer"


class AccessLog(Watched):
    def end(self, scope: Scope, begun: Any, status: int | None, seconds: float) -> None:
        state = scope.get("state") or {}
        gone = bool(state.get("client_gone"))
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            mode=state.get("mode"),
            status=status if status is not None else (CLIENT_CLOSED_REQUEST if gone else None),
            seconds=round(seconds, 4),
            **({"client_gone": True} if gone else {}),
        )
