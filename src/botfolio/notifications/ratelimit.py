"""Per-channel-kind send rate limits: a token bucket per kind, per worker process.

A send waits for its token up to a bound; beyond it the notification is put back with a later
due time (`ChannelRateLimited`), so one slow channel never holds up the rest of a batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from botfolio.errors import TemporaryError


class ChannelRateLimited(TemporaryError):
    code = "channel_rate_limited"


class ChannelRateLimiter:
    def __init__(
        self,
        rate_per_second: Mapping[str, float],
        *,
        max_wait_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = {kind: rate for kind, rate in rate_per_second.items() if rate > 0}
        self._max_wait = max_wait_seconds
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def reserve(self, kind: str) -> float:
        """Take a token now or book the next one; returns the seconds to wait (0: go now).

        Booking (tokens may go negative) keeps waiters in arrival order without a lock: asyncio
        runs this synchronous method atomically.
        """
        rate = self._rates.get(kind)
        if rate is None:
            return 0.0
        burst = max(1.0, rate)
        now = self._monotonic()
        tokens, stamp = self._buckets.get(kind, (burst, now))
        tokens = min(burst, tokens + (now - stamp) * rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / rate
        if wait > self._max_wait:
            self._buckets[kind] = (tokens, now)
            return wait
        self._buckets[kind] = (tokens - 1, now)
        return wait

    async def acquire(self, kind: str) -> None:
        wait = self.reserve(kind)
        if wait > self._max_wait:
            raise ChannelRateLimited(
                f"{kind} sends are over their rate limit; retrying later", kind=kind
            )
        if wait > 0:
            await asyncio.sleep(wait)
