"""A cap on fused requests in flight: past it, 429 with ``Retry-After``.

A fused request holds 2 + N upstream calls for seconds to minutes; refusing early lets a load
balancer or the client's retry policy send it elsewhere or later, instead of queueing it here.
Without a shared store the cap is per worker process (one event loop, so a plain counter is
enough). With one (``FUSION_REDIS_URL``) it holds across every worker and host sharing it: each
request takes a lease on one of ``limit`` slots (atomic in Redis), renews it while it runs and
gives it back when done; a worker that dies frees its slots when their leases lapse. If the
store goes away, its fallback caps per process (see :mod:`fusion_tool.state.fallback`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from fusion_tool.core.errors import ProxyError
from fusion_tool.core.log import get_logger
from fusion_tool.state import DEFAULT_LEASE_SECONDS, Store

log = get_logger("fusion_tool.proxy")

RETRY_AFTER_SECONDS = 5
#: the name of the slots' pool in the store
POOL = "inflight"


class Inflight:
    """The cap: ``limit`` fused requests at once, in this process or, with ``store``, across
    every process sharing it. ``count`` is this process's share."""

    def __init__(self, limit: int, retry_after: int = RETRY_AFTER_SECONDS, *, store: Store | None = None,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        if limit < 1:
            raise ValueError("max_inflight must be at least 1")
        self.limit = limit
        self.count = 0
        self._retry_after = retry_after
        self._store = store
        self._lease_seconds = lease_seconds
        self._leases: set[str] = set()
        self._renewer: asyncio.Task[None] | None = None
        self._releasing: set[asyncio.Task[None]] = set()
        self.on_change: Callable[[int], None] | None = None  # told this process's count as it changes

    @property
    def shared(self) -> bool:
        """Whether the cap holds across processes right now."""
        return self._store is not None and self._store.shared

    def _full(self) -> ProxyError:
        where = "these servers are" if self._store is not None else "this server is"
        return ProxyError(
            429,
            f"{where} running {self.limit} fused requests already; retry shortly",
            code="too_many_fused_requests",
            headers={"retry-after": str(self._retry_after)},
        )

    def _changed(self, delta: int) -> None:
        self.count += delta
        if self.on_change is not None:
            self.on_change(self.count)

    async def acquire(self) -> Callable[[], None]:
        """Take a slot and return the function that gives it back (idempotent); 429 if full."""
        lease: str | None = None
        if self._store is None:
            if self.count >= self.limit:
                raise self._full()
        else:
            lease = await self._store.acquire(POOL, self.limit, self._lease_seconds)
            if lease is None:
                raise self._full()
            self._leases.add(lease)
            self._keep_renewing()
        self._changed(+1)
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            self._changed(-1)
            if lease is not None:
                self._leases.discard(lease)
                self._give_back(lease)

        return release

    def _give_back(self, lease: str) -> None:
        assert self._store is not None
        try:
            task = asyncio.get_running_loop().create_task(self._store.release(POOL, lease))
        except RuntimeError:  # no loop any more (shutdown): the lease lapses by itself
            return
        self._releasing.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task[None]) -> None:
        self._releasing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("inflight_release_failed", error=str(task.exception()))

    def _keep_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew())

    async def _renew(self) -> None:
        assert self._store is not None
        while self._leases:
            await asyncio.sleep(self._lease_seconds / 3)
            if self._leases:
                try:
                    await self._store.renew(POOL, list(self._leases), self._lease_seconds)
                except Exception as exc:  # the next round tries again; a lapsed lease only frees a slot early
                    log.warning("inflight_renew_failed", error=str(exc))

    async def held(self) -> int:
        """Fused requests in flight across every process sharing the cap (this one's without)."""
        if self._store is None:
            return self.count
        return await self._store.held(POOL)

    async def aclose(self) -> None:
        """Stop renewing and give back what is still held (a server shutting down)."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)
