"""A cap on fused requests in flight in this worker: past it, 429 with ``Retry-After``.

A fused request holds 2 + N upstream calls for seconds to minutes; refusing early lets a load
balancer or the client's retry policy send it elsewhere or later, instead of queueing it here.
The cap is per worker process (one event loop, so a plain counter is enough).
"""

from __future__ import annotations

from collections.abc import Callable

from fusion_tool.core.errors import ProxyError

RETRY_AFTER_SECONDS = 5


class Inflight:
    def __init__(self, limit: int, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        if limit < 1:
            raise ValueError("max_inflight must be at least 1")
        self.limit = limit
        self.count = 0
        self._retry_after = retry_after

    def acquire(self) -> Callable[[], None]:
        """Take a slot and return the function that gives it back (idempotent); 429 if full."""
        if self.count >= self.limit:
            raise ProxyError(
                429,
                f"this server is running {self.limit} fused requests already; retry shortly",
                code="too_many_fused_requests",
                headers={"retry-after": str(self._retry_after)},
            )
        self.count += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.count -= 1

        return release
