"""Shared state: the in-process store, the SQLite store (one file, shared by the processes of one
machine), the Redis store on a real redis-server, the fallback between them, and tool mode's
memory on each."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from fusion_tool.core.config import STATE_FILE_VARIABLE, shared_state_file
from fusion_tool.modes.memory import Memory
from fusion_tool.proxy.limits import Inflight
from fusion_tool.state import LocalStore, for_workers, open_store
from fusion_tool.state.fallback import FallbackStore
from fusion_tool.state.sqlite_store import SWEEP_EVERY, SqliteStore, machine_local_file

from .servers import NO_REDIS, REDIS_SERVER, needs_redis, redis_server

EXCHANGE = [{"role": "assistant", "content": "", "tool_calls": [{"id": "call_f", "type": "function",
                                                                  "function": {"name": "fusion", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_f", "content": '{"status": "ok"}'}]
USER_TURN = {"role": "assistant", "content": "", "tool_calls": [{"id": "call_w", "type": "function",
                                                                  "function": {"name": "get_weather", "arguments": "{}"}}]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the contract, on the in-process store and on the SQLite store, with a clock of our own ------

@pytest.fixture(params=["local", "sqlite"])
async def clocked(request, tmp_path):
    """A store of each kind on a clock the test moves; ``max_items=2``."""
    clock = Clock()
    if request.param == "local":
        store = LocalStore(max_items=2, clock=clock)
    else:
        store = SqliteStore(tmp_path / "state.sqlite3", max_items=2, clock=clock)
    yield store, clock
    await store.aclose()


async def test_a_store_keeps_values_until_their_ttl(clocked):
    store, clock = clocked
    await store.put("a", {"k": [1, "x"]}, ttl=10)
    await store.put("b", "two", ttl=20)
    assert await store.get_many(["a", "b", "none"]) == [{"k": [1, "x"]}, "two", None]
    assert await store.get_many([]) == []
    await store.put("a", "again", ttl=10)  # a new value, a new ttl
    clock.now += 11
    assert await store.get_many(["a", "b"]) == [None, "two"]
    clock.now += 10
    assert await store.get_many(["b"]) == [None]


async def test_a_store_bounds_its_values_and_keeps_the_newest(clocked):
    store, _ = clocked
    for key in "abc":
        await store.put(key, key, ttl=10)
    assert await store.get_many(["a", "b", "c"]) == [None, "b", "c"]


async def test_the_local_store_drops_the_least_recently_used():
    store = LocalStore(max_items=2, clock=Clock())
    await store.put("a", 1, ttl=10)
    await store.put("b", 2, ttl=10)
    assert await store.get_many(["a"]) == [1]  # a is now the most recently used
    await store.put("c", 3, ttl=10)
    assert await store.get_many(["a", "b", "c"]) == [1, None, 3]


async def test_a_store_counts_in_windows_from_the_first_add(clocked):
    store, clock = clocked
    assert await store.add("spend", 0.25, ttl=60) == 0.25
    clock.now += 30
    assert await store.add("spend", 0.5, ttl=1) == 0.75  # the first ttl stands
    assert await store.add("other", 2, ttl=60) == 2
    clock.now += 31
    assert await store.add("spend", 1, ttl=60) == 1  # a new window
    assert await store.add("other", 1, ttl=60) == 3


async def test_a_store_leases_slots_that_lapse_unless_renewed(clocked):
    store, clock = clocked
    first, second = await store.acquire("p", 2, ttl=5), await store.acquire("p", 2, ttl=5)
    assert first and second and first != second and await store.acquire("p", 2, ttl=5) is None
    assert await store.acquire("q", 1, ttl=5)  # pools are apart
    await store.release("p", first)
    await store.release("p", first)  # idempotent
    assert await store.held("p") == 1
    clock.now += 4
    await store.renew("p", [second, "never-taken"], ttl=5)
    clock.now += 4  # renewed: still held
    assert await store.held("p") == 1
    clock.now += 2  # the holder of `second` is gone: its lease lapses
    assert await store.held("p") == 0
    await store.renew("p", [second], ttl=5)  # a lapsed lease is not brought back
    assert await store.held("p") == 0
    third = await store.acquire("p", 1, ttl=5)
    assert third and await store.acquire("p", 1, ttl=5) is None


async def test_a_store_keeps_a_continuation_for_memory(clocked):
    store, _ = clocked
    memory = Memory(store)
    await memory.keep(["call_w"], EXCHANGE)
    assert (await memory.splice([USER_TURN]))[:2] == EXCHANGE


# -- the SQLite store: one file, several store objects and processes ------------------------------

async def test_two_sqlite_stores_on_one_file_see_each_others_writes(tmp_path):
    path = tmp_path / "state.sqlite3"
    a, b = SqliteStore(path), SqliteStore(path)
    await a.put("k", {"v": 1}, ttl=60)
    assert await b.get_many(["k"]) == [{"v": 1}]
    assert await a.add("spend", 1.5, ttl=60) == 1.5
    assert await b.add("spend", 1, ttl=60) == 2.5
    lease = await a.acquire("pool", 1)
    assert lease and await b.acquire("pool", 1) is None and await b.held("pool") == 1
    await b.release("pool", lease)  # any holder's store gives it back
    assert await a.held("pool") == 0
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)
    await a.aclose()
    await b.aclose()


_RACER = textwrap.dedent("""
    import asyncio, json, sys
    from fusion_tool.state.sqlite_store import SqliteStore

    async def main(path):
        store = SqliteStore(path)
        taken = [await store.acquire("pool", 30, ttl=60) for _ in range(40)]
        for _ in range(100):
            await store.add("count", 1, ttl=60)
        await store.put(f"from-{sys.argv[2]}", sys.argv[2], ttl=60)
        print(json.dumps(sum(lease is not None for lease in taken)))

    asyncio.run(main(sys.argv[1]))
""")


def test_two_processes_on_one_file_share_one_cap_and_one_counter(tmp_path):
    path = tmp_path / "state.sqlite3"
    made = SqliteStore(path)  # made ready first, as the serve parent makes it (machine_local_file)
    made.open()
    made.close()
    racers = [subprocess.Popen([sys.executable, "-c", _RACER, str(path), name], stdout=subprocess.PIPE, text=True)
              for name in ("one", "two")]
    taken = [json.loads(racer.communicate(timeout=60)[0]) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0]
    assert sum(taken) == 30  # never more than the cap, across both

    async def read():
        store = SqliteStore(path)
        try:
            return await store.held("pool"), await store.add("count", 0, ttl=60), \
                await store.get_many(["from-one", "from-two"])
        finally:
            await store.aclose()

    assert asyncio.run(read()) == (30, 200, ["one", "two"])


async def test_the_inflight_cap_holds_across_two_views_of_one_file(tmp_path):
    path = str(tmp_path / "state.sqlite3")
    one, two = Inflight(1, store=open_store(state_file=path)), Inflight(1, store=open_store(state_file=path))
    assert one.shared and two.shared
    release = await one.acquire()
    with pytest.raises(Exception) as refused:
        await two.acquire()
    assert refused.value.status == 429
    assert await two.held() == 1
    release()
    await asyncio.sleep(0.05)  # the lease goes back in the background
    (await two.acquire())()
    await one.aclose()
    await two.aclose()


async def test_sqlite_refuses_a_value_over_its_limit_and_sweeps_what_expired(tmp_path):
    clock = Clock()
    store = SqliteStore(tmp_path / "state.sqlite3", max_value_bytes=100, clock=clock)
    with pytest.raises(ValueError):
        await store.put("big", "x" * 200, ttl=60)
    for i in range(SWEEP_EVERY - 1):
        await store.put(f"k{i}", i, ttl=1)
    clock.now += 2
    await store.put("last", "kept", ttl=60)  # the sweep's turn
    rows = sqlite3.connect(store.path).execute("SELECT key FROM kv").fetchall()
    assert rows == [("last",)]
    await store.aclose()


async def test_a_locked_file_fails_fast_as_a_timeout(tmp_path):
    path = tmp_path / "state.sqlite3"
    store = SqliteStore(path, busy_timeout=0.05)
    await store.put("k", 1, ttl=60)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process in the middle of a write that never ends
    try:
        with pytest.raises(TimeoutError):
            await store.put("k", 2, ttl=60)
        assert await store.get_many(["k"]) == [1]  # readers never wait (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    await store.put("k", 3, ttl=60)
    await store.aclose()


async def test_a_state_file_that_cannot_be_opened_degrades_to_this_process(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="fusion_tool.state")
    store = open_store(state_file=str(tmp_path / "gone" / "state.sqlite3"))
    assert isinstance(store, FallbackStore)
    memory = Memory(store)
    await memory.keep(["call_w"], EXCHANGE)
    assert (await memory.splice([USER_TURN]))[:2] == EXCHANGE  # kept in this process instead
    assert not store.available
    lines = [r.getMessage() for r in caplog.records if "state_store_unavailable" in r.getMessage()]
    assert len(lines) == 1 and "sqlite" in lines[0]
    await store.aclose()


# -- which store a serve's workers get ------------------------------------------------------------

async def test_several_workers_without_redis_get_a_private_file_removed_at_exit():
    with for_workers(2) as where:
        path = shared_state_file()
        assert path and where == f"shared state in SQLite at {path}" and os.path.exists(path)
        assert oct(os.stat(os.path.dirname(path)).st_mode & 0o777) == "0o700"
        a, b = open_store(), open_store()  # what each worker's app opens
        assert isinstance(a, FallbackStore) and isinstance(a.primary, SqliteStore)
        await a.put("k", 1, ttl=60)
        assert await b.get_many(["k"]) == [1]
        await a.aclose()
        await b.aclose()
    assert shared_state_file() is None and not os.path.exists(os.path.dirname(path))


def test_one_worker_keeps_its_state_in_process_and_redis_wins(monkeypatch):
    monkeypatch.setenv(STATE_FILE_VARIABLE, "/somewhere/inherited.sqlite3")
    with for_workers(1) as where:
        assert where == "state in process" and isinstance(open_store(), LocalStore)
    with for_workers(4, "redis://127.0.0.1:1/0") as where:
        assert where == "shared state in Redis" and shared_state_file() is None


def test_the_made_file_is_ready_before_any_worker_opens_it():
    with machine_local_file() as path:
        tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"kv", "counters", "leases"}
    assert not path.parent.exists()


async def test_memory_splices_a_kept_exchange_before_the_turn_it_preceded():
    memory = Memory()
    await memory.keep(["call_w"], EXCHANGE)
    messages = [{"role": "user", "content": "q"}, USER_TURN, {"role": "tool", "tool_call_id": "call_w", "content": "3"}]
    spliced = await memory.splice(messages)
    assert spliced == [messages[0], *EXCHANGE, USER_TURN, messages[2]]
    assert await memory.splice(messages[:1]) == messages[:1]


# -- Redis -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if REDIS_SERVER is None:
        pytest.skip(NO_REDIS)
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@pytest.fixture
async def redis_store(redis_url):
    from fusion_tool.state.redis_store import RedisStore

    store = RedisStore(redis_url, max_items=3)
    await store.client.flushdb()
    yield store
    await store.aclose()


@needs_redis
async def test_redis_keeps_values_with_a_ttl_and_a_bound(redis_store):
    for key in "abcd":
        await redis_store.put(key, {"k": key}, ttl=60)
    assert await redis_store.get_many(["a", "b", "c", "d", "none"]) == [None, {"k": "b"}, {"k": "c"}, {"k": "d"}, None]
    ttl = await redis_store.client.pttl("fusion:v:d")
    assert 0 < ttl <= 60_000
    with pytest.raises(ValueError):
        await redis_store.put("big", "x" * (redis_store.max_value_bytes + 1), ttl=60)


@needs_redis
async def test_redis_counters_expire_from_their_first_add(redis_store):
    assert await redis_store.add("spend:day", 0.5, ttl=60) == 0.5
    assert await redis_store.add("spend:day", 0.25, ttl=1) == 0.75
    assert 1_000 < await redis_store.client.pttl("fusion:c:spend:day") <= 60_000  # the first TTL stands


@needs_redis
async def test_redis_leases_are_atomic_and_lapse_when_not_renewed(redis_store):
    leases = await asyncio.gather(*(redis_store.acquire("pool", 5, ttl=30) for _ in range(50)))
    taken = [lease for lease in leases if lease]
    assert len(taken) == 5 and await redis_store.held("pool") == 5
    await redis_store.release("pool", taken[0])
    assert await redis_store.held("pool") == 4
    short = await redis_store.acquire("pool", 5, ttl=0.2)
    assert short and await redis_store.acquire("pool", 5) is None
    await asyncio.sleep(0.3)  # its holder never renewed: the slot frees itself
    assert await redis_store.held("pool") == 4
    await redis_store.renew("pool", taken[1:], ttl=0.2)
    await asyncio.sleep(0.3)
    assert await redis_store.held("pool") == 0


@needs_redis
async def test_a_burst_beyond_the_connection_pool_waits_its_turn_and_never_degrades(redis_url, redis_store):
    store = open_store(redis_url)
    leases = await asyncio.gather(*(store.acquire("burst", 1000) for _ in range(300)))  # > the pool's 64
    assert store.available and not any(lease.startswith("local:") for lease in leases)
    assert await store.held("burst") == 300
    await store.aclose()


@needs_redis
async def test_two_memories_on_one_redis_are_one_memory(redis_url, redis_store):
    a, b = Memory(open_store(redis_url)), Memory(open_store(redis_url))
    await a.keep(["call_w"], EXCHANGE)
    assert (await b.splice([USER_TURN]))[:2] == EXCHANGE
    await a.store.aclose()
    await b.store.aclose()


@needs_redis
async def test_the_inflight_cap_holds_across_two_processes_views(redis_url, redis_store):
    one, two = Inflight(1, store=open_store(redis_url)), Inflight(1, store=open_store(redis_url))
    release = await one.acquire()
    with pytest.raises(Exception) as refused:
        await two.acquire()
    assert refused.value.status == 429 and refused.value.headers["retry-after"]
    release()
    await asyncio.sleep(0.05)  # the lease goes back in the background
    (await two.acquire())()
    await one.aclose()
    await two.aclose()


# -- Redis going away --------------------------------------------------------------------------------

@needs_redis
async def test_a_redis_that_goes_away_degrades_to_this_process_with_one_log_line(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="fusion_tool.state")
    with redis_server(tmp_path) as (url, process):
        store = open_store(url)
        assert isinstance(store, FallbackStore)
        memory = Memory(store)
        await memory.keep(["call_w"], EXCHANGE)
        assert store.available
        process.terminate()
        process.wait()
        for _ in range(3):  # every operation still answers, from this process
            await memory.keep(["call_w"], EXCHANGE)
            assert (await memory.splice([USER_TURN]))[:2] == EXCHANGE
        inflight = Inflight(1, store=store)
        release = await inflight.acquire()
        with pytest.raises(Exception):
            await inflight.acquire()  # the cap is per process now, not gone
        release()
        assert not store.available
    lines = [r.getMessage() for r in caplog.records if "state_store_unavailable" in r.getMessage()]
    assert len(lines) == 1 and "trace.messages" in lines[0]
    await store.aclose()


async def test_the_fallback_comes_back_to_redis_when_it_answers_again(caplog):
    caplog.set_level(logging.WARNING, logger="fusion_tool.state")

    class Flaky(LocalStore):
        shared = True
        down = True

        async def get_many(self, keys):
            if self.down:
                raise ConnectionError("refused")
            return await super().get_many(keys)

    clock = Clock()
    primary = Flaky()
    store = FallbackStore(primary, retry_after=5, clock=clock)
    assert await store.get_many(["k"]) == [None] and not store.available
    primary.down = False
    assert await store.get_many(["k"]) == [None] and not store.available  # not tried again before retry_after
    clock.now += 6
    await primary.put("k", 1, ttl=60)
    assert await store.get_many(["k"]) == [1] and store.available
    messages = [r.getMessage() for r in caplog.records]
    assert sum("state_store_unavailable" in m for m in messages) == 1
    assert sum("state_store_recovered" in m for m in messages) == 1
