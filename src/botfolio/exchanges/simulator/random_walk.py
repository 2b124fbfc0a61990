"""A seeded random-walk candle source: the market when no data is given, identical per seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from botfolio.clock import ensure_utc
from botfolio.exchanges.simulator.candles import Candle

_TICKS_PER_CANDLE = 4


class RandomWalkSource:
    """Generates candles lazily from `start - history` onwards, seeded by (seed, symbol)."""

    def __init__(
        self,
        *,
        symbol: str,
        seed: int,
        start: datetime,
        start_price: Decimal,
        tick_size: Decimal,
        interval: timedelta = timedelta(minutes=1),
        volatility: Decimal = Decimal("0.001"),
        history: int = 500,
    ) -> None:
        self._rng = random.Random(f"{seed}:{symbol}")  # noqa: S311 - a market, not a secret
        self._interval = interval
        self._tick = tick_size
        self._volatility = float(volatility)
        self._next_open = ensure_utc(start) - interval * history
        self._last_close = start_price
        self._candles: list[Candle] = []

    @property
    def interval(self) -> timedelta:
        return self._interval

    def closed_candles(self, until: datetime) -> Sequence[Candle]:
        while self._next_open + self._interval <= until:
            self._candles.append(self._generate(self._next_open))
            self._next_open += self._interval
        return self._candles

    def _generate(self, open_time: datetime) -> Candle:
        open_price = self._last_close
        path = [open_price]
        for _ in range(_TICKS_PER_CANDLE):
            step = Decimal(repr(round(self._rng.gauss(0.0, self._volatility), 8)))
            path.append(self._round(path[-1] * (1 + step)))
        volume = Decimal(repr(round(self._rng.uniform(1.0, 50.0), 4)))
        self._last_close = path[-1]
        return Candle(open_time, open_price, max(path), min(path), path[-1], volume)

    def _round(self, price: Decimal) -> Decimal:
        ticks = (price / self._tick).to_integral_value(rounding=ROUND_HALF_EVEN)
        return max(ticks * self._tick, self._tick)
