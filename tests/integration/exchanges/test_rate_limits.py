"""Rate limits are shared by every worker through Redis: one worker draining a key's bucket makes
the next worker wait; in-memory buckets (the embedded default) are per process."""

from __future__ import annotations

import secrets

import pytest
import redis.asyncio as redis

from botfolio.exchanges.ratelimit import InMemoryRateLimiter, RedisRateLimiter

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_up() -> str:
    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); .ci/run starts it")
    finally:
        await client.aclose()
    return REDIS_URL


async def test_redis_bucket_drained_by_one_worker_makes_another_wait(redis_up: str) -> None:
    key = f"key:binance:test-{secrets.token_hex(4)}"
    worker_a = RedisRateLimiter(redis_up, rate_per_second=5, burst=5)
    worker_b = RedisRateLimiter(redis_up, rate_per_second=5, burst=5)
    try:
        waits_a = [await worker_a.acquire(key) for _ in range(5)]
        waited_b = await worker_b.acquire(key)
    finally:
        await worker_a.close()
        await worker_b.close()

    assert waits_a == [0.0] * 5  # the burst
    assert waited_b > 0  # the bucket is shared: B had to wait for a refill


async def test_redis_buckets_are_per_key(redis_up: str) -> None:
    limiter = RedisRateLimiter(redis_up, rate_per_second=2, burst=2)
    prefix = secrets.token_hex(4)
    try:
        for _ in range(2):
            await limiter.acquire(f"key:a-{prefix}")
        assert await limiter.acquire(f"key:b-{prefix}") == 0.0
    finally:
        await limiter.close()


async def test_in_memory_bucket_paces_after_its_burst() -> None:
    limiter = InMemoryRateLimiter(rate_per_second=50, burst=3)
    waits = [await limiter.acquire("venue:binance") for _ in range(4)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0
