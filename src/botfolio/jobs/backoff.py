"""Retry delays: exponential backoff with full jitter, so failing jobs do not retry in lockstep."""

from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(
    attempt: int, *, base_seconds: float, max_seconds: float, rng: random.Random
) -> timedelta:
    """A delay drawn uniformly from [0, min(max, base * 2**(attempt-1))] ("full jitter").

    Full jitter spreads the retries of many jobs that failed together (a venue outage) over the
    whole window instead of bunching them at the same instants.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if base_seconds < 0 or max_seconds < 0:
        raise ValueError("backoff bounds must not be negative")
    exponent = min(attempt - 1, 62)  # 2**62 * base is far past any sane cap; avoids overflow
    ceiling = min(max_seconds, base_seconds * float(2**exponent))
    return timedelta(seconds=rng.uniform(0.0, ceiling))
