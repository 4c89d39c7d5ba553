"""Bounded connections for the servers fusion-tool runs with uvicorn (the proxy first of all).

uvicorn closes a connection left idle after a response (``timeout_keep_alive``), but it has no
timeout for reading a request: a connection that never sends its headers (or sends half of
them), or a body shorter than its ``Content-Length``, stays open as long as the client likes,
before the app (and its token check) sees anything: a slowloris opening.
:class:`BoundedH11Protocol` is uvicorn's h11 protocol with two read timeouts of its own, kept
from the state h11 reports after every event:

* **headers**: while the server waits for a request's headers (from the connection's first
  moment, or from the end of the previous response), they must be complete within
  ``header_timeout`` seconds; past it a ``408`` is written and the connection closed;
* **body**: once the headers are in, the whole body must be in within ``body_timeout``
  seconds; past it the connection is closed, and the app reading it sees a disconnect.

:class:`BoundedConfig` is a ``uvicorn.Config`` that serves with it, with those two timeouts and
the keep-alive one as named defaults. The h11 protocol is named rather than "auto", so the
bounds hold whether or not ``httptools`` is installed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from fusion_tool.core.log import get_logger

log = get_logger("fusion_tool.server")

#: seconds a request's headers may take to arrive, from when the server starts waiting for them
DEFAULT_HEADER_TIMEOUT = 10.0
#: seconds a request's whole body may take to arrive, once its headers are in
DEFAULT_BODY_TIMEOUT = 30.0
#: seconds an idle keep-alive connection stays open after a response (uvicorn's own timer)
DEFAULT_KEEP_ALIVE_TIMEOUT = 5.0

_TIMEOUT_TEXT = b"the request's headers took too long\n"
#: what a connection whose headers took too long gets before it is closed
REQUEST_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_TIMEOUT_TEXT), _TIMEOUT_TEXT))


class BoundedConfig(uvicorn.Config):
    """A ``uvicorn.Config`` serving with :class:`BoundedH11Protocol` and its read timeouts."""

    def __init__(self, app: Any, *, header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                 body_timeout: float = DEFAULT_BODY_TIMEOUT, keep_alive_timeout: float = DEFAULT_KEEP_ALIVE_TIMEOUT,
                 **options: Any) -> None:
        for name, value in (("header_timeout", header_timeout), ("body_timeout", body_timeout),
                            ("keep_alive_timeout", keep_alive_timeout)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        super().__init__(app, http=BoundedH11Protocol, timeout_keep_alive=keep_alive_timeout,  # type: ignore[arg-type]
                         **options)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with the header and body read timeouts described above."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._timeouts = {"headers": getattr(config, "header_timeout", DEFAULT_HEADER_TIMEOUT),
                          "body": getattr(config, "body_timeout", DEFAULT_BODY_TIMEOUT)}
        self._reading: str | None = None  # what the running timer waits for: "headers", "body"
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()

    def handle_events(self) -> None:
        super().handle_events()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Keep the timer that fits what the client owes: headers, a body, or nothing."""
        state = self.conn.their_state
        reading = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if reading == self._reading:
            return
        self._stop()
        if reading is not None and not self.transport.is_closing():
            self._reading = reading
            self._timer = self.loop.call_later(self._timeouts[reading], self._expired, reading)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._reading = None, None

    def _expired(self, reading: str) -> None:
        self._timer, self._reading = None, None
        if self.transport.is_closing():
            return
        log.info("connection_timeout", waiting_for=reading, seconds=self._timeouts[reading],
                 client=f"{self.client[0]}:{self.client[1]}" if self.client else None)
        if reading == "headers" and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)  # no request under way: say why, then close
        self.transport.close()
