"""Tool mode's continuations: fusion exchanges kept for the caller's next request."""

from __future__ import annotations

import hashlib
from typing import Any

from fusion_tool.core.log import get_logger
from fusion_tool.state import LocalStore, Store

log = get_logger("fusion_tool.memory")

#: exchanges an in-process memory keeps before the least recently used one goes
DEFAULT_SIZE = 1024
#: seconds an exchange is kept for its continuation
DEFAULT_TTL = 3600.0


def _key(call_ids: tuple[str | None, ...]) -> str:
    return "memory:" + hashlib.sha256("\x1f".join(map(str, call_ids)).encode()).hexdigest()


class Memory:
    """Fusion exchanges handed back with a user's tool calls, to splice into the continuation.

    When the model calls one of the caller's tools after fusion ran, the caller gets only its
    own calls (so the usual ``messages.append(message)`` loop stays valid) and the fusion
    exchange is kept here under those calls' ids; the caller's next request has it put back
    before that assistant message, so the model still reads the panel's result. Kept in a
    :class:`~fusion_tool.state.Store`: in process (bounded, LRU) by default, or in Redis, where
    every worker and host continues any conversation. Where the store cannot keep it, callers
    continue from ``completion.fusion["trace"]["messages"]`` instead: a failure to keep is
    logged, never raised into a request that was answered.
    """

    def __init__(self, store: Store | None = None, *, size: int = DEFAULT_SIZE, ttl: float = DEFAULT_TTL) -> None:
        self.store: Store = store if store is not None else LocalStore(max_items=size)
        self._ttl = ttl

    async def keep(self, call_ids: list[str], exchange: list[dict[str, Any]]) -> None:
        try:
            await self.store.put(_key(tuple(call_ids)), exchange, self._ttl)
        except ValueError as exc:  # too large to keep: the trace's messages carry it
            log.warning("continuation_not_kept", error=str(exc))

    async def splice(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` with any kept exchange put back before the assistant turn it preceded."""
        turns = [i for i, m in enumerate(messages) if m.get("role") == "assistant" and m.get("tool_calls")]
        if not turns:
            return list(messages)
        keys = [_key(tuple(c.get("id") for c in messages[i]["tool_calls"])) for i in turns]
        kept = dict(zip(turns, await self.store.get_many(keys)))
        out: list[dict[str, Any]] = []
        for i, m in enumerate(messages):
            exchange = kept.get(i)
            if exchange:
                out.extend(exchange)
            out.append(m)
        return out
