"""The store in one SQLite file, shared by the worker processes of one machine.

What ``fusion-tool serve --workers N`` uses when no Redis URL is set: the ``serve`` parent makes
a private temporary directory with one file in it (:func:`machine_local_file`), hands its path
to the workers and removes it when it exits. Why SQLite: it is in the standard library, it
needs no server to run or to stop, several processes may open one file at once (WAL mode:
readers never wait, writers take turns for microseconds), and every operation here is one
short transaction on a local file, well under a millisecond. So the workers of one ``serve``
share tool mode's continuations, the counters, reused results and the in-flight leases as if
they were one process, with nothing to install.

The operations are synchronous (they run on the event loop, as short as a dictionary's with a
lock): each one is a single statement, or one ``BEGIN IMMEDIATE`` transaction where it reads and
then writes, so two processes never interleave inside it. A writer that finds the file locked
waits at most ``busy_timeout`` seconds; past that, and for any other failure of the file, the
operation raises :class:`TimeoutError` or :class:`OSError`, the errors
:class:`~fusion_tool.state.fallback.FallbackStore` answers from this process instead.

Times are ``time.monotonic()``, which every process on one machine reads alike (the file never
outlives the ``serve`` that made it, nor the boot), and which a wall-clock step cannot move.
Values are JSON, at most ``max_value_bytes`` each (a larger one raises :class:`ValueError`, as
in Redis), and at most ``max_items`` of them: the oldest written go first. Counters are not
counted among them (losing one would reset a spend window); they expire like everything else.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from fusion_tool.state.store import DEFAULT_LEASE_SECONDS

#: the largest value kept (a continuation's fusion exchange is a few to tens of KB), as in Redis
DEFAULT_MAX_VALUE_BYTES = 1 << 20
#: keyed values kept at once; past it the oldest written go
DEFAULT_MAX_ITEMS = 100_000
#: seconds a write waits for another process's write to finish before the file counts as stuck;
#: short, because the event loop waits with it (a write holds the lock for microseconds)
DEFAULT_BUSY_TIMEOUT = 0.5
#: the file's name inside the directory :func:`machine_local_file` makes
FILE_NAME = "state.sqlite3"
#: writes between two sweeps of what expired (each sweep is one indexed range delete)
SWEEP_EVERY = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS kv_expires ON kv (expires);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value REAL NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS counters_expires ON counters (expires);
CREATE TABLE IF NOT EXISTS leases (pool TEXT NOT NULL, lease TEXT NOT NULL, expires REAL NOT NULL,
                                   PRIMARY KEY (pool, lease));
CREATE INDEX IF NOT EXISTS leases_live ON leases (pool, expires);
"""

T = TypeVar("T")


class SqliteStore:
    """The :class:`~fusion_tool.state.store.Store` API on one SQLite file, shared with every
    process that opens the same ``path``. Nothing is opened until the first operation (a file
    that cannot be opened then fails like a Redis that is not there); a lock keeps the one
    connection whole when event loops on several threads share the store."""

    shared = True

    def __init__(
        self,
        path: str | Path,
        *,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        max_items: int = DEFAULT_MAX_ITEMS,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.path = Path(path)
        self.max_value_bytes = max_value_bytes
        self.max_items = max_items
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._writes = 0

    # -- the connection, and the one place its errors are translated --------------------------

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            # switching to WAL takes the whole file, and a second process opening it meanwhile is
            # told it is locked at once (no busy wait): the mode is set only where it is not yet
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            # nothing here must survive a power cut (the file goes when its serve does), so commits
            # skip fsync: no write ever waits for the disk
            db.execute("PRAGMA synchronous = OFF")
            db.executescript(_SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _run(self, operation: Callable[[sqlite3.Connection, float], T]) -> T:
        with self._lock:
            try:
                if self._db is None:
                    self._db = self._connect()
                return operation(self._db, self._clock())
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise TimeoutError(f"the state file {self.path} stayed locked: {exc}") from exc
                raise OSError(f"the state file {self.path}: {exc}") from exc
            except sqlite3.Error as exc:
                raise OSError(f"the state file {self.path}: {exc}") from exc

    @staticmethod
    @contextlib.contextmanager
    def _immediate(db: sqlite3.Connection) -> Iterator[None]:
        """One transaction that holds the write lock from its start: a read then a write in it
        are never split by another process's write."""
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _sweep(self, db: sqlite3.Connection, now: float) -> None:
        """Every :data:`SWEEP_EVERY` writes, drop what expired (inside the caller's transaction)."""
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            db.execute("DELETE FROM kv WHERE expires <= ?", (now,))
            db.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            db.execute("DELETE FROM leases WHERE expires <= ?", (now,))

    # -- keyed values -----------------------------------------------------------------------------

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []

        def read(db: sqlite3.Connection, now: float) -> list[Any | None]:
            marks = ",".join("?" * len(keys))
            rows = db.execute(f"SELECT key, value FROM kv WHERE key IN ({marks}) AND expires > ?",
                              (*keys, now)).fetchall()
            found = {key: value for key, value in rows}
            return [json.loads(found[k]) if k in found else None for k in keys]

        return self._run(read)

    async def put(self, key: str, value: Any, ttl: float) -> None:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) > self.max_value_bytes:
            raise ValueError(f"a value of {len(data)} bytes is over the store's {self.max_value_bytes}")

        def write(db: sqlite3.Connection, now: float) -> None:
            with self._immediate(db):
                # REPLACE gives the row a new, highest rowid: rowid order is write order, so the
                # rows beyond the newest max_items are the oldest written (one range delete)
                db.execute("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)", (key, data, now + ttl))
                db.execute("DELETE FROM kv WHERE rowid <= (SELECT max(rowid) FROM kv) - ?", (self.max_items,))
                self._sweep(db, now)

        self._run(write)

    # -- counters ---------------------------------------------------------------------------------

    async def add(self, key: str, amount: float, ttl: float) -> float:
        def count(db: sqlite3.Connection, now: float) -> float:
            with self._immediate(db):
                # a counter that expired starts again at 0, with a new window from now
                db.execute(
                    "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
                    "value = CASE WHEN expires > ?4 THEN value + ?2 ELSE ?2 END, "
                    "expires = CASE WHEN expires > ?4 THEN expires ELSE ?3 END",
                    (key, float(amount), now + ttl, now))
                (value,) = db.execute("SELECT value FROM counters WHERE key = ?", (key,)).fetchone()
                self._sweep(db, now)
            return float(value)

        return self._run(count)

    # -- leases -----------------------------------------------------------------------------------

    async def acquire(self, pool: str, limit: int, ttl: float = DEFAULT_LEASE_SECONDS) -> str | None:
        lease = uuid.uuid4().hex

        def take(db: sqlite3.Connection, now: float) -> bool:
            with self._immediate(db):
                db.execute("DELETE FROM leases WHERE pool = ? AND expires <= ?", (pool, now))
                (held,) = db.execute("SELECT count(*) FROM leases WHERE pool = ?", (pool,)).fetchone()
                if held >= limit:
                    return False
                db.execute("INSERT INTO leases (pool, lease, expires) VALUES (?, ?, ?)", (pool, lease, now + ttl))
            return True

        return lease if self._run(take) else None

    async def renew(self, pool: str, leases: Sequence[str], ttl: float = DEFAULT_LEASE_SECONDS) -> None:
        if not leases:
            return

        def extend(db: sqlite3.Connection, now: float) -> None:
            marks = ",".join("?" * len(leases))
            # only the leases still held: one that lapsed has freed its slot, perhaps to another
            db.execute(f"UPDATE leases SET expires = ? WHERE pool = ? AND expires > ? AND lease IN ({marks})",
                       (now + ttl, pool, now, *leases))

        self._run(extend)

    async def release(self, pool: str, lease: str) -> None:
        self._run(lambda db, now: db.execute("DELETE FROM leases WHERE pool = ? AND lease = ?", (pool, lease)))

    async def held(self, pool: str) -> int:
        def live(db: sqlite3.Connection, now: float) -> int:
            (held,) = db.execute("SELECT count(*) FROM leases WHERE pool = ? AND expires > ?", (pool, now)).fetchone()
            return int(held)

        return self._run(live)

    def open(self) -> None:
        """Open the file now (creating its tables), rather than at the first operation."""
        self._run(lambda db, now: None)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    async def aclose(self) -> None:
        self.close()


@contextlib.contextmanager
def machine_local_file(prefix: str = "fusion-state-") -> Iterator[Path]:
    """A new private directory (``0700``, in the system's temporary directory) with one state
    file in it, made ready (its tables, WAL mode) before any worker opens it; the directory and
    everything in it (the ``-wal`` and ``-shm`` files too) are removed on exit."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        path = directory / FILE_NAME
        store = SqliteStore(path)
        store.open()  # made now, once: the workers then only open it
        store.close()
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)
