"""A shared store that degrades instead of failing: Redis while it answers, this process when not.

A Redis that goes away mid-run costs one clear log line (``state_store_unavailable``), not a
500: every operation goes to the in-process store instead, so tool mode's continuations are
kept in this worker (a client on another worker continues from ``fusion.trace.messages``, as
without Redis) and the in-flight cap becomes per process. Redis is tried again every
``retry_after`` seconds; when it answers, one more line (``state_store_recovered``) and the
shared state is back. Nothing already answered depends on it: a failed write is logged, never
raised into the request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fusion_tool.core.log import get_logger
from fusion_tool.state.store import DEFAULT_LEASE_SECONDS, LocalStore, Store

log = get_logger("fusion_tool.state")

#: seconds between tries of a store that failed
DEFAULT_RETRY_AFTER = 5.0
#: the mark of a lease the in-process fallback gave out, so it is given back there
_LOCAL = "local:"

T = TypeVar("T")


def _store_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (OSError, TimeoutError)
    try:
        import redis.exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        return errors
    return (*errors, redis.exceptions.RedisError)


class FallbackStore:
    """``primary`` (Redis) while it answers, else ``fallback`` (in process)."""

    def __init__(self, primary: Store, fallback: LocalStore | None = None, *, name: str = "redis",
                 retry_after: float = DEFAULT_RETRY_AFTER, clock: Callable[[], float] = time.monotonic) -> None:
        self.primary = primary
        self.fallback = fallback or LocalStore()
        self.name = name
        self._retry_after = retry_after
        self._clock = clock
        self._down_until: float | None = None
        self._errors = _store_errors()

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self._down_until is None

    @property
    def available(self) -> bool:
        """Whether the primary answered last time it was asked."""
        return self._down_until is None

    async def _either(self, primary: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        if self._down_until is not None and self._clock() < self._down_until:
            return await fallback()
        try:
            result = await primary()
        except self._errors as exc:
            if self._down_until is None:
                log.warning("state_store_unavailable", store=self.name, error=f"{type(exc).__name__}: {exc}",
                            fallback="in process: continuations via fusion.trace.messages, in-flight cap per worker",
                            retry_seconds=self._retry_after)
            self._down_until = self._clock() + self._retry_after
            return await fallback()
        if self._down_until is not None:
            self._down_until = None
            log.warning("state_store_recovered", store=self.name)
        return result

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        return await self._either(lambda: self.primary.get_many(keys), lambda: self.fallback.get_many(keys))

    async def put(self, key: str, value: Any, ttl: float) -> None:
        await self._either(lambda: self.primary.put(key, value, ttl), lambda: self.fallback.put(key, value, ttl))

    async def add(self, key: str, amount: float, ttl: float) -> float:
        return await self._either(lambda: self.primary.add(key, amount, ttl),
                                  lambda: self.fallback.add(key, amount, ttl))

    async def acquire(self, pool: str, limit: int, ttl: float = DEFAULT_LEASE_SECONDS) -> str | None:
        async def local() -> str | None:
            lease = await self.fallback.acquire(pool, limit, ttl)
            return None if lease is None else _LOCAL + lease

        return await self._either(lambda: self.primary.acquire(pool, limit, ttl), local)

    async def renew(self, pool: str, leases: Sequence[str], ttl: float = DEFAULT_LEASE_SECONDS) -> None:
        local = [lease[len(_LOCAL):] for lease in leases if lease.startswith(_LOCAL)]
        shared = [lease for lease in leases if not lease.startswith(_LOCAL)]
        if local:
            await self.fallback.renew(pool, local, ttl)
        if shared:
            async def nothing() -> None:
                return None

            await self._either(lambda: self.primary.renew(pool, shared, ttl), nothing)

    async def release(self, pool: str, lease: str) -> None:
        if lease.startswith(_LOCAL):
            await self.fallback.release(pool, lease[len(_LOCAL):])
            return

        async def nothing() -> None:  # it lapses in Redis by itself
            return None

        await self._either(lambda: self.primary.release(pool, lease), nothing)

    async def held(self, pool: str) -> int:
        return await self._either(lambda: self.primary.held(pool), lambda: self.fallback.held(pool))

    async def aclose(self) -> None:
        try:
            await self.primary.aclose()
        except self._errors:
            pass
        await self.fallback.aclose()
