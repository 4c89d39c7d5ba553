"""The store's small API, and the in-process store (the embedded default).

Everything a server shares between requests goes through these few operations, whatever the
store: keyed JSON values with a time to live (tool mode's continuation memory; reused results),
counters with a time to live (spend), and leases on a capped pool of slots (the fused requests
in flight). :class:`LocalStore` keeps them in this process, bounded (LRU) and expiring;
:class:`~fusion_tool.state.redis.RedisStore` keeps them in Redis, for every worker and host.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

#: keyed values one in-process store holds before the least recently used one goes
DEFAULT_MAX_ITEMS = 4096
#: seconds a lease on a slot lasts unless renewed: a worker that dies frees its slots in this time
DEFAULT_LEASE_SECONDS = 30.0


class Store(Protocol):
    """Where shared state lives. Values are JSON-serialisable; every key expires.

    ``shared`` says whether other processes see the same state (Redis) or not (in process).
    """

    shared: bool

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        """The values under ``keys`` (None where there is none or it expired), in order."""
        ...

    async def put(self, key: str, value: Any, ttl: float) -> None:
        """Keep ``value`` under ``key`` for ``ttl`` seconds."""
        ...

    async def add(self, key: str, amount: float, ttl: float) -> float:
        """Add ``amount`` to the counter ``key`` (created at 0, expiring ``ttl`` seconds after its
        creation) and return its new value."""
        ...

    async def acquire(self, pool: str, limit: int, ttl: float = DEFAULT_LEASE_SECONDS) -> str | None:
        """A lease on one of ``limit`` slots of ``pool``, or None when all are taken. A lease
        not renewed within ``ttl`` seconds lapses (its holder is taken to be gone)."""
        ...

    async def renew(self, pool: str, leases: Sequence[str], ttl: float = DEFAULT_LEASE_SECONDS) -> None:
        """Extend ``leases`` by ``ttl`` seconds from now."""
        ...

    async def release(self, pool: str, lease: str) -> None:
        """Give the slot back (idempotent)."""
        ...

    async def held(self, pool: str) -> int:
        """Leases of ``pool`` live now, across every process sharing the store."""
        ...

    async def aclose(self) -> None: ...


class LocalStore:
    """The in-process store: bounded (LRU over ``max_items`` values and counters), expiring, and
    not shared. Nothing here awaits, and a lock keeps it whole when event loops on several
    threads share it (a sync client's worker threads)."""

    shared = False

    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS, clock: Callable[[], float] = time.monotonic) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._leases: dict[str, dict[str, float]] = {}
        self._max = max_items
        self._clock = clock
        self._lock = threading.Lock()

    def _live(self, key: str) -> Any | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    def _set(self, key: str, expires: float, value: Any) -> None:
        self._items[key] = (expires, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        with self._lock:
            return [self._live(k) for k in keys]

    async def put(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._set(key, self._clock() + ttl, value)

    async def add(self, key: str, amount: float, ttl: float) -> float:
        with self._lock:
            item = self._items.get(key)
            now = self._clock()
            expires, value = item if item is not None and item[0] > now else (now + ttl, 0)
            value += amount
            self._set(key, expires, value)
            return value

    def _pool(self, pool: str) -> dict[str, float]:
        now = self._clock()
        leases = self._leases.setdefault(pool, {})
        for lease in [k for k, expires in leases.items() if expires <= now]:
            del leases[lease]
        return leases

    async def acquire(self, pool: str, limit: int, ttl: float = DEFAULT_LEASE_SECONDS) -> str | None:
        with self._lock:
            leases = self._pool(pool)
            if len(leases) >= limit:
                return None
            lease = uuid.uuid4().hex
            leases[lease] = self._clock() + ttl
            return lease

    async def renew(self, pool: str, leases: Sequence[str], ttl: float = DEFAULT_LEASE_SECONDS) -> None:
        with self._lock:
            held = self._pool(pool)
            for lease in leases:
                if lease in held:
                    held[lease] = self._clock() + ttl

    async def release(self, pool: str, lease: str) -> None:
        with self._lock:
            self._leases.get(pool, {}).pop(lease, None)

    async def held(self, pool: str) -> int:
        with self._lock:
            return len(self._pool(pool))

    async def aclose(self) -> None:
        pass
