"""The simulator's market clock: runs faster than real time, or only when stepped (tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from botfolio.clock import ensure_utc


class SimulatorClock:
    """Market time = start + manual steps + real elapsed time x speed.

    `speed=0` freezes the market until a control call steps it, which is what tests want;
    `speed=60` replays one 1m candle per real second. Market time never moves backwards,
    because fills already reported at a time cannot be undone.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._start = ensure_utc(start)
        self._speed = speed
        self._monotonic = monotonic
        self._real_anchor = monotonic()
        self._stepped = timedelta(0)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._real_anchor) * self._speed
        return self._start + self._stepped + timedelta(seconds=elapsed)

    def step(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the market clock only moves forward")
        self._stepped += delta
        return self.now()

    def set(self, moment: datetime) -> datetime:
        target = ensure_utc(moment)
        current = self.now()
        if target < current:
            raise ValueError(f"cannot move the market clock back from {current.isoformat()}")
        return self.step(target - current)

    def set_speed(self, speed: float) -> None:
        """Change speed without jumping: fold the time elapsed so far into the steps."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        now = self.now()
        self._stepped = now - self._start
        self._real_anchor = self._monotonic()
        self._speed = speed
