"""Where shared state lives: in this process (the embedded default), or in Redis.

A server keeps nothing that matters for correctness in its own memory once ``FUSION_REDIS_URL``
is set: tool mode's continuation memory, the fused-requests-in-flight cap, and (for spend
control and reused results) counters and keyed values, all through one small API
(:class:`Store`). :func:`open_store` picks the store from the URL.
"""

from __future__ import annotations

from fusion_tool.state.store import DEFAULT_LEASE_SECONDS, LocalStore, Store

__all__ = ["DEFAULT_LEASE_SECONDS", "LocalStore", "Store", "open_store"]


def open_store(redis_url: str | None = None) -> Store:
    """The in-process store without ``redis_url``; with it, Redis behind the in-process
    fallback (:class:`~fusion_tool.state.fallback.FallbackStore`): nothing is connected until the
    first operation, and a Redis that is not there degrades instead of failing."""
    if not redis_url:
        return LocalStore()
    from fusion_tool.state.fallback import FallbackStore  # the redis client only when it is asked for
    from fusion_tool.state.redis_store import RedisStore

    return FallbackStore(RedisStore(redis_url))
