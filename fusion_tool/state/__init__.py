"""Where shared state lives: in this process (the embedded default), in one SQLite file shared by
the workers of one machine, or in Redis.

A server keeps nothing that matters for correctness in its own memory once ``FUSION_REDIS_URL``
is set: tool mode's continuation memory, the fused-requests-in-flight cap, and (for spend
control and reused results) counters and keyed values, all through one small API
(:class:`Store`). Without Redis, the workers of one ``fusion-tool serve --workers N`` share them
in a SQLite file the serve parent makes (:func:`for_workers`), so any of them continues any
conversation; one worker keeps them in process. :func:`open_store` picks the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from fusion_tool.core.config import (
    STATE_FILE_VARIABLE,
    export_to_workers,
    shared_state_file,
    withdraw_from_workers,
)
from fusion_tool.state.store import DEFAULT_LEASE_SECONDS, LocalStore, Store

__all__ = ["DEFAULT_LEASE_SECONDS", "LocalStore", "Store", "for_workers", "open_store"]


def open_store(redis_url: str | None = None, *, state_file: str | None = None) -> Store:
    """Redis with ``redis_url``; else the SQLite file ``state_file`` (default: the one
    ``fusion-tool serve`` hands its workers, ``_FUSION_STATE_FILE``); else the in-process store.
    Redis and SQLite sit behind the in-process fallback
    (:class:`~fusion_tool.state.fallback.FallbackStore`): nothing is opened until the first
    operation, and a store that is not there degrades instead of failing."""
    from fusion_tool.state.fallback import FallbackStore

    if redis_url:
        from fusion_tool.state.redis_store import RedisStore  # the redis client only when it is asked for

        return FallbackStore(RedisStore(redis_url))
    state_file = state_file or shared_state_file()
    if state_file:
        from fusion_tool.state.sqlite_store import SqliteStore

        return FallbackStore(SqliteStore(state_file), name="sqlite")
    return LocalStore()


@contextlib.contextmanager
def for_workers(workers: int, redis_url: str | None = None) -> Iterator[str]:
    """Where the workers of one ``serve`` about to start will keep their state, set up for
    them; yields what the startup line says of it: ``shared state in Redis`` with ``redis_url``
    (never the URL: it may hold a password); ``shared state in SQLite at PATH`` with several
    workers and no Redis (a file in a private temporary directory made here and handed to the
    workers through the environment, all removed on exit); ``state in process`` for one worker."""
    withdraw_from_workers([STATE_FILE_VARIABLE])  # one inherited from elsewhere is not ours
    if redis_url:
        yield "shared state in Redis"
        return
    if workers < 2:
        yield "state in process"
        return
    from fusion_tool.state.sqlite_store import machine_local_file

    with machine_local_file() as path:
        export_to_workers({STATE_FILE_VARIABLE: path})
        try:
            yield f"shared state in SQLite at {path}"
        finally:
            withdraw_from_workers([STATE_FILE_VARIABLE])
