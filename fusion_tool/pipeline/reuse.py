"""No re-fire across turns: the same prompt and configuration within ``FusionConfig.reuse_ttl``
seconds gets the earlier result, marked ``reused``, instead of a new panel.

Results are kept in a *store*: anything with the keyed-value half of
``fusion_tool.state.Store`` (``get_many``, ``put``), so a server with ``FUSION_REDIS_URL`` shares
them between workers (the modes hand theirs in). Without one, :data:`PROCESS_RESULTS`, a
small in-process store of the same shape, keeps them for this process.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from fusion_tool.core.config import FusionConfig

#: results the in-process store keeps before the least recently used one goes
MAX_RESULTS = 256
#: the configuration fields that change what a fused call finds (timeouts and keys do not)
_KEY_FIELDS = ("panel", "judge", "preset", "max_tool_calls", "max_completion_tokens", "temperature", "tools",
               "excluded_domains", "search", "strategy", "scout_models", "max_cost", "base_url")


class ResultStore(Protocol):
    """The keyed-value operations of ``fusion_tool.state.Store`` that reuse needs."""

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]: ...

    async def put(self, key: str, value: Any, ttl: float) -> None: ...


class _ProcessResults:
    """The in-process fallback: bounded (LRU) and expiring."""

    def __init__(self, max_items: int = MAX_RESULTS) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        now, out = time.monotonic(), []
        with self._lock:
            for key in keys:
                item = self._items.get(key)
                if item is None or item[0] <= now:
                    self._items.pop(key, None)
                    out.append(None)
                else:
                    self._items.move_to_end(key)
                    out.append(item[1])
        return out

    async def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)


PROCESS_RESULTS = _ProcessResults()


def key(prompt: str, config: FusionConfig, calling_model: str | None = None) -> str:
    """The store key of a fused call: its prompt, judge and configuration, hashed."""
    fields = {name: getattr(config, name) for name in _KEY_FIELDS}
    fields["judge"] = config.judge_model(calling_model)
    text = json.dumps({"prompt": prompt, "config": fields}, sort_keys=True, default=str)
    return "fusion:reuse:" + hashlib.sha256(text.encode()).hexdigest()


async def recall(key: str, store: ResultStore | None) -> dict[str, Any] | None:
    """The earlier result kept under ``key`` (as :meth:`FusionResult.to_store` gave it), or None."""
    try:
        (value,) = await (store or PROCESS_RESULTS).get_many([key])
    except Exception:  # a store that is down means a new panel, not a failed call
        return None
    return value if isinstance(value, dict) else None


async def keep(key: str, value: dict[str, Any], ttl: float, store: ResultStore | None) -> None:
    try:
        await (store or PROCESS_RESULTS).put(key, value, ttl)
    except Exception:  # likewise: the result stands, it is only not kept
        return
