"""Tool mode's continuations: fusion exchanges kept for the caller's next request."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any


class Memory:
    """Fusion exchanges handed back with a user's tool calls, to splice into the continuation.

    When the model calls one of the caller's tools after fusion ran, the caller gets only its
    own calls (so the usual ``messages.append(message)`` loop stays valid) and the fusion
    exchange is kept here under those calls' ids; the caller's next request has it put back
    before that assistant message, so the model still reads the panel's result. Bounded (LRU)
    and per process: callers who keep no wrapper between requests can continue from
    ``completion.fusion["trace"]["messages"]`` instead.
    """

    def __init__(self, size: int = 1024, ttl: float = 3600.0) -> None:
        self._items: OrderedDict[tuple[str, ...], tuple[float, list[dict[str, Any]]]] = OrderedDict()
        self._size, self._ttl = size, ttl
        self._lock = threading.Lock()

    def keep(self, call_ids: list[str], exchange: list[dict[str, Any]]) -> None:
        with self._lock:
            self._items[tuple(call_ids)] = (time.monotonic(), exchange)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def splice(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` with any kept exchange put back before the assistant turn it preceded."""
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.get("role") == "assistant" and m.get("tool_calls"):
                key = tuple(c.get("id") for c in m["tool_calls"])
                with self._lock:
                    kept = self._items.get(key)
                if kept is not None and time.monotonic() - kept[0] < self._ttl:
                    out.extend(kept[1])
            out.append(m)
        return out
