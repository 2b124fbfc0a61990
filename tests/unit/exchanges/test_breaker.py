"""The breaker opens on a run of failures, probes once when half-open, closes on success."""

from __future__ import annotations

from datetime import timedelta

import pytest

from botfolio.clock import ManualClock
from botfolio.exchanges.breaker import BreakerOpenError, BreakerState, CircuitBreaker


class Transitions:
    def __init__(self) -> None:
        self.seen: list[tuple[BreakerState, BreakerState]] = []

    async def __call__(self, venue: str, old: BreakerState, new: BreakerState, reason: str) -> None:
        self.seen.append((old, new))


async def test_breaker_when_threshold_reached_opens_and_refuses_calls() -> None:
    clock, transitions = ManualClock(), Transitions()
    breaker = CircuitBreaker("binance", clock, failure_threshold=3, listener=transitions)
    for _ in range(3):
        await breaker.before_call()
        await breaker.on_failure("503")
    assert breaker.state is BreakerState.OPEN
    with pytest.raises(BreakerOpenError):
        await breaker.before_call()
    assert transitions.seen == [(BreakerState.CLOSED, BreakerState.OPEN)]


async def test_breaker_after_cool_down_lets_one_probe_and_closes_on_success() -> None:
    clock, transitions = ManualClock(), Transitions()
    breaker = CircuitBreaker(
        "binance",
        clock,
        failure_threshold=1,
        reset_after=timedelta(seconds=10),
        listener=transitions,
    )
    await breaker.on_failure("timeout")
    clock.advance(10)
    await breaker.before_call()
    with pytest.raises(BreakerOpenError):
        await breaker.before_call()  # a second caller while the probe is out
    await breaker.on_success()
    assert breaker.state is BreakerState.CLOSED
    assert transitions.seen[-1] == (BreakerState.HALF_OPEN, BreakerState.CLOSED)


async def test_breaker_when_probe_fails_reopens_for_another_cool_down() -> None:
    clock = ManualClock()
    breaker = CircuitBreaker(
        "binance", clock, failure_threshold=1, reset_after=timedelta(seconds=5)
    )
    await breaker.on_failure("timeout")
    clock.advance(5)
    await breaker.before_call()
    await breaker.on_failure("still down")
    assert breaker.state is BreakerState.OPEN
    clock.advance(4)
    assert breaker.is_open


async def test_successes_reset_the_failure_run() -> None:
    breaker = CircuitBreaker("binance", ManualClock(), failure_threshold=2)
    await breaker.on_failure("a")
    await breaker.on_success()
    await breaker.on_failure("b")
    assert breaker.state is BreakerState.CLOSED
