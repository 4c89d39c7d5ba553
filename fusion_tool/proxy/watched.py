"""An ASGI middleware that sees each HTTP request through: when it begins, and its response
status and duration when it ends (a failure before the status line counts as 500). The access
log and the request's span and metrics (``accesslog.py``, ``observe.py``) are two of them."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Watched:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def begin(self, scope: Scope) -> Any:
        """Called as the request comes in; what it returns is handed to :meth:`end`."""
        return None

    def end(self, scope: Scope, begun: Any, status: int | None, seconds: float) -> None:
        """Called once the request is done (``status`` None: no response was started)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None
        begun = self.begin(scope)

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
            self.end(scope, begun, status, time.perf_counter() - started)
