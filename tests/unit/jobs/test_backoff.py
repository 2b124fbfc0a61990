"""Retry delays: exponential ceiling, capped, drawn with full jitter."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from botfolio.jobs.backoff import retry_delay


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0), (200, 10.0)]
)
def test_retry_delay_when_drawn_many_times_stays_within_capped_exponential_ceiling(
    attempt: int, ceiling: float
) -> None:
    rng = random.Random(7)

    delays = [
        retry_delay(attempt, base_seconds=1.0, max_seconds=10.0, rng=rng).total_seconds()
        for _ in range(500)
    ]

    assert all(0.0 <= delay <= ceiling for delay in delays)
    assert max(delays) > 0.9 * ceiling  # full jitter reaches the whole window
    assert min(delays) < 0.1 * ceiling


def test_retry_delay_when_same_seed_is_reproducible() -> None:
    first = retry_delay(3, base_seconds=2, max_seconds=60, rng=random.Random(1))
    second = retry_delay(3, base_seconds=2, max_seconds=60, rng=random.Random(1))

    assert first == second
    assert timedelta(0) <= first <= timedelta(seconds=8)


@pytest.mark.parametrize(
    ("attempt", "base", "cap"), [(0, 1.0, 10.0), (1, -1.0, 10.0), (1, 1.0, -5.0)]
)
def test_retry_delay_when_arguments_invalid_raises(attempt: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError):
        retry_delay(attempt, base_seconds=base, max_seconds=cap, rng=random.Random(0))
