"""Candles and the CandleSource protocol: what the simulator's market is made of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV bar; `open_time` is aware UTC and the bar closes at `open_time + interval`."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class CandleLike(Protocol):
    """Any candle with these read-only fields will do (e.g. `botfolio.market.candles.Candle`)."""

    @property
    def open_time(self) -> datetime: ...

    @property
    def open(self) -> Decimal: ...

    @property
    def high(self) -> Decimal: ...

    @property
    def low(self) -> Decimal: ...

    @property
    def close(self) -> Decimal: ...

    @property
    def volume(self) -> Decimal: ...


class CandleSource(Protocol):
    """A per-symbol price history the simulator replays as its clock advances.

    Kept minimal so any generator (CSV replay, random walk, `botfolio.market.synthetic`'s
    `SyntheticCandleFeed.source(symbol)`) plugs in. The returned sequence must only grow.
    """

    @property
    def interval(self) -> timedelta: ...

    def closed_candles(self, until: datetime) -> Sequence[CandleLike]:
        """Every candle whose close time is at or before `until`, oldest first."""
        ...


def aggregate(candles: Sequence[CandleLike], interval: timedelta) -> list[Candle]:
    """Merge native candles into `interval` buckets aligned on the Unix epoch."""
    seconds = int(interval.total_seconds())
    merged: list[Candle] = []
    for candle in candles:
        bucket = _bucket_start(candle.open_time, seconds)
        if merged and merged[-1].open_time == bucket:
            last = merged[-1]
            merged[-1] = Candle(
                open_time=bucket,
                open=last.open,
                high=max(last.high, candle.high),
                low=min(last.low, candle.low),
                close=candle.close,
                volume=last.volume + candle.volume,
            )
        else:
            merged.append(
                Candle(bucket, candle.open, candle.high, candle.low, candle.close, candle.volume)
            )
    return merged


def _bucket_start(moment: datetime, seconds: int) -> datetime:
    epoch_seconds = int(moment.timestamp())
    return datetime.fromtimestamp(epoch_seconds - epoch_seconds % seconds, tz=moment.tzinfo)
