"""Token-bucket rate limits per venue and per API key, shared by every worker.

In-memory for the embedded default (one process); Redis in production, where an atomic Lua
script keeps one bucket per key for all workers.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from prometheus_client import Counter, Histogram

RATE_LIMIT_WAIT_SECONDS = Histogram(
    "botfolio_exchange_rate_limit_wait_seconds",
    "Time spent waiting for a rate-limit token, by venue.",
    ["venue"],
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
RATE_LIMIT_WAITS = Counter(
    "botfolio_exchange_rate_limit_waits_total", "Calls that had to wait for a token.", ["venue"]
)


class RateLimiter(Protocol):
    async def acquire(self, key: str) -> float:
        """Wait for one token under `key`; return the seconds waited."""
        ...


class InMemoryRateLimiter:
    def __init__(self, rate_per_second: float, burst: float | None = None) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._rate = rate_per_second
        self._burst = burst or max(1.0, rate_per_second)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: str) -> float:
        waited = 0.0
        while True:
            async with self._lock:
                delay = self._take(key, time.monotonic())
            if delay <= 0:
                return waited
            waited += delay
            await asyncio.sleep(delay)

    def _take(self, key: str, now: float) -> float:
        tokens, stamp = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - stamp) * self._rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self._rate


_LUA_TAKE = """
local rate = tonumber(ARGV[1]); local burst = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(b[1]) or burst; local stamp = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - stamp) * rate)
local delay = 0
if tokens >= 1 then tokens = tokens - 1 else delay = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'stamp', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(delay)
"""


class RedisRateLimiter:
    """The same bucket, kept in Redis so that every worker draws from it."""

    def __init__(self, redis_url: str, rate_per_second: float, burst: float | None = None) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(redis_url)
        self._rate = rate_per_second
        self._burst = burst or max(1.0, rate_per_second)
        self._script = self._redis.register_script(_LUA_TAKE)

    async def acquire(self, key: str) -> float:
        waited = 0.0
        while True:
            now = time.time()
            delay = float(
                await self._script(keys=[f"botfolio:rl:{key}"], args=[self._rate, self._burst, now])
            )
            if delay <= 0:
                return waited
            waited += delay
            await asyncio.sleep(delay)

    async def close(self) -> None:
        await self._redis.aclose()
