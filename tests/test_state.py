"""Shared state: the in-process store, the Redis store on a real redis-server, the fallback
between them, and tool mode's memory on each."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fusion_tool.modes.memory import Memory
from fusion_tool.proxy.limits import Inflight
from fusion_tool.state import LocalStore, open_store
from fusion_tool.state.fallback import FallbackStore

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


# -- the in-process store ------------------------------------------------------------------------

async def test_the_local_store_expires_and_bounds_its_values():
    clock = Clock()
    store = LocalStore(max_items=2, clock=clock)
    await store.put("a", 1, ttl=10)
    await store.put("b", 2, ttl=10)
    assert await store.get_many(["a"]) == [1]  # a is now the most recently used
    await store.put("c", 3, ttl=10)
    assert await store.get_many(["a", "b", "c"]) == [1, None, 3]
    clock.now += 11
    assert await store.get_many(["a", "c"]) == [None, None]


async def test_the_local_store_counts_and_leases():
    clock = Clock()
    store = LocalStore(clock=clock)
    assert await store.add("spend", 0.25, ttl=60) == 0.25
    assert await store.add("spend", 0.5, ttl=60) == 0.75
    clock.now += 61
    assert await store.add("spend", 1, ttl=60) == 1  # a new window
    first, second = await store.acquire("p", 2, ttl=5), await store.acquire("p", 2, ttl=5)
    assert first and second and await store.acquire("p", 2, ttl=5) is None
    await store.release("p", first)
    assert await store.held("p") == 1
    clock.now += 6  # the holder of `second` is gone: its lease lapses
    assert await store.held("p") == 0


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
