"""One structlog event per request: method, path, mode, status, seconds.

``mode`` (alias, tool, pass) is what the handler found; ``client_gone`` marks a request whose
client disconnected before its response was complete (status 499 when nothing was sent yet).
Query strings and headers are not logged.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool.proxy")

CLIENT_CLOSED_REQUEST = 499  # nginx's name for "the client left before the answer"


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except BaseException:
            status = status or 500
            raise
        finally:
            state = scope.get("state") or {}
            gone = bool(state.get("client_gone"))
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                mode=state.get("mode"),
                status=status if status is not None else (CLIENT_CLOSED_REQUEST if gone else None),
                seconds=round(time.perf_counter() - started, 4),
                **({"client_gone": True} if gone else {}),
            )
