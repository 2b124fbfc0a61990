"""A circuit breaker per venue: open on a run of failures, half-open probes, closed on success.

State changes are reported to a listener (incident history, audit event) and exported as the
gauge `botfolio_exchange_breaker_state` (0 closed, 1 half-open, 2 open).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum

from prometheus_client import Gauge

from botfolio.clock import Clock
from botfolio.exchanges.errors import VenueUnavailableError

BREAKER_STATE = Gauge(
    "botfolio_exchange_breaker_state",
    "Circuit breaker state per venue: 0 closed, 1 half-open, 2 open.",
    ["venue"],
)


class BreakerState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


_GAUGE_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}

StateListener = Callable[[str, BreakerState, BreakerState, str], Awaitable[None]]


class BreakerOpenError(VenueUnavailableError):
    """Refused locally: the request never left, so nothing can have happened on the venue."""

    code = "venue_breaker_open"


class CircuitBreaker:
    def __init__(
        self,
        venue: str,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        reset_after: timedelta = timedelta(seconds=30),
        listener: StateListener | None = None,
    ) -> None:
        self.venue = venue
        self._clock = clock
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._listener = listener
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None
        self._probe_in_flight = False
        BREAKER_STATE.labels(venue=venue).set(0)

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._cool_down_over():
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def is_open(self) -> bool:
        return self.state is BreakerState.OPEN

    async def before_call(self) -> None:
        """Raise BreakerOpenError unless a call may go out (one probe at a time when half-open)."""
        state = self.state
        if state is BreakerState.OPEN:
            raise BreakerOpenError(f"{self.venue}: circuit open after {self._failures} failures")
        if state is BreakerState.HALF_OPEN:
            if self._probe_in_flight:
                raise BreakerOpenError(f"{self.venue}: circuit half-open, probe in flight")
            self._probe_in_flight = True
            if self._state is not BreakerState.HALF_OPEN:
                await self._move(BreakerState.HALF_OPEN, "cool-down over; probing")

    async def on_success(self) -> None:
        self._probe_in_flight = False
        self._failures = 0
        if self._state is not BreakerState.CLOSED:
            await self._move(BreakerState.CLOSED, "probe succeeded")

    async def on_failure(self, error: str) -> None:
        self._probe_in_flight = False
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or (
            self._state is BreakerState.CLOSED and self._failures >= self._threshold
        ):
            self._opened_at = self._clock.now()
            await self._move(BreakerState.OPEN, f"{self._failures} consecutive failures: {error}")

    def _cool_down_over(self) -> bool:
        return self._opened_at is not None and (
            self._clock.now() - self._opened_at >= self._reset_after
        )

    async def _move(self, new: BreakerState, reason: str) -> None:
        old, self._state = self._state, new
        BREAKER_STATE.labels(venue=self.venue).set(_GAUGE_VALUE[new])
        if self._listener is not None:
            await self._listener(self.venue, old, new, reason)
