"""The store in Redis, shared by every worker and host that names the same ``FUSION_REDIS_URL``.

Through the ``redis`` client's asyncio API. Every key is under one prefix and expires; values
are JSON, at most ``max_value_bytes`` each, and at most ``max_items`` of them (an index sorted
by age drops the oldest beyond it), so a busy server cannot fill the Redis it shares. The
in-flight cap is a sorted set of leases per pool, scored by when each lapses (the server's
clock, so hosts need not agree on the time): taking a slot is one Lua script (drop the lapsed,
count, add), atomic across workers, and the slots of a worker that died free themselves once
their leases lapse. Timeouts are short: a Redis that is gone must fail fast, so that the
fallback (:mod:`fusion_tool.state.fallback`) answers instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from fusion_tool.state.store import DEFAULT_LEASE_SECONDS

#: every key fusion-tool writes starts with this
DEFAULT_PREFIX = "fusion:"
#: seconds to connect, and to wait for an answer, before Redis counts as gone
DEFAULT_TIMEOUT = 1.0
#: the largest value kept (a continuation's fusion exchange is a few to tens of KB)
DEFAULT_MAX_VALUE_BYTES = 1 << 20
#: keyed values kept at once; past it the oldest go
DEFAULT_MAX_ITEMS = 100_000
#: connections one process keeps to Redis; a request past them waits (up to the timeout) for one
#: to be free, rather than failing (each operation holds one for well under a millisecond)
DEFAULT_MAX_CONNECTIONS = 64

# KEYS: value, index. ARGV: json, ttl_ms, max_items. The index is scored by the server's time.
_PUT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now, KEYS[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  redis.call('DEL', unpack(old))
end
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
"""

# KEYS: pool. ARGV: limit, ttl_ms, lease. 1: taken, 0: full. The key outlives its longest lease.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""

# KEYS: pool. ARGV: ttl_ms, lease... Extends the leases still held.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i]) end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS: pool. The leases live now.
_HELD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
"""


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisStore:
    """The :class:`~fusion_tool.state.store.Store` API on one Redis (``redis://`` or
    ``rediss://`` URL; a database number and credentials in it as usual). Raises the ``redis``
    client's errors when Redis cannot be reached; a value over ``max_value_bytes`` raises
    :class:`ValueError` and is not kept."""

    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        max_items: int = DEFAULT_MAX_ITEMS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        # a bounded pool that queues (the client's default pool raises past 100 connections, which
        # a burst of concurrent requests reaches); one quick retry (a pooled connection the server
        # closed), then the error: no backoff, since the fallback is waiting
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout,
            socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1), decode_responses=False)
        self.client = aioredis.Redis(connection_pool=pool)
        self.prefix = prefix
        self.max_value_bytes = max_value_bytes
        self.max_items = max_items
        self._put = self.client.register_script(_PUT)
        self._acquire = self.client.register_script(_ACQUIRE)
        self._renew = self.client.register_script(_RENEW)
        self._held = self.client.register_script(_HELD)

    def _value_key(self, key: str) -> str:
        return f"{self.prefix}v:{key}"

    def _pool_key(self, pool: str) -> str:
        return f"{self.prefix}lease:{pool}"

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        raw = await self.client.mget([self._value_key(k) for k in keys])
        return [None if v is None else json.loads(v) for v in raw]

    async def put(self, key: str, value: Any, ttl: float) -> None:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if len(data) > self.max_value_bytes:
            raise ValueError(f"a value of {len(data)} bytes is over the store's {self.max_value_bytes}")
        await self._put(keys=[self._value_key(key), f"{self.prefix}index"], args=[data, _ms(ttl), self.max_items])

    async def add(self, key: str, amount: float, ttl: float) -> float:
        name = f"{self.prefix}c:{key}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incrbyfloat(name, amount)
            pipe.pexpire(name, _ms(ttl), nx=True)
            value, _ = await pipe.execute()
        return float(value)

    async def acquire(self, pool: str, limit: int, ttl: float = DEFAULT_LEASE_SECONDS) -> str | None:
        lease = uuid.uuid4().hex
        taken = await self._acquire(keys=[self._pool_key(pool)], args=[limit, _ms(ttl), lease])
        return lease if int(taken) == 1 else None

    async def renew(self, pool: str, leases: Sequence[str], ttl: float = DEFAULT_LEASE_SECONDS) -> None:
        if leases:
            await self._renew(keys=[self._pool_key(pool)], args=[_ms(ttl), *leases])

    async def release(self, pool: str, lease: str) -> None:
        await self.client.zrem(self._pool_key(pool), lease)

    async def held(self, pool: str) -> int:
        return int(await self._held(keys=[self._pool_key(pool)]))

    async def aclose(self) -> None:
        await self.client.aclose(close_connection_pool=True)
