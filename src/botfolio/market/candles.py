"""The candle value type and the canonical candle DataFrame shared by storage, checks and features.

A candle frame has a UTC `DatetimeIndex` named `open_time` and the columns of `OHLCV_COLUMNS`.
Frames read from storage hold `Decimal` values (exact, for money paths); `numeric_frame` turns
them into float64 for the numeric feature pipeline only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
INDEX_NAME = "open_time"


@dataclass(frozen=True, slots=True)
class Candle:
    """One closed candle: prices in the quote currency, volume in the base currency."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def is_consistent(self) -> bool:
        """Prices positive, volume not negative, open and close inside [low, high]."""
        return (
            Decimal(0) < self.low <= min(self.open, self.close)
            and max(self.open, self.close) <= self.high
            and self.volume >= 0
        )


def candles_to_frame(candles: Iterable[Candle]) -> pd.DataFrame:
    rows = list(candles)
    index = pd.DatetimeIndex([c.open_time for c in rows], name=INDEX_NAME)
    if len(rows) == 0:
        index = pd.DatetimeIndex([], tz="UTC", name=INDEX_NAME)
    data = {column: [getattr(c, column) for c in rows] for column in OHLCV_COLUMNS}
    return pd.DataFrame(data, index=index, columns=list(OHLCV_COLUMNS), dtype=object)


def frame_to_candles(frame: pd.DataFrame) -> list[Candle]:
    """Candles from a frame of Decimal (or decimal-text) values; float frames are refused."""
    return [
        Candle(moment.to_pydatetime(), *(_exact(value) for value in row))
        for moment, row in zip(
            frame.index, frame[list(OHLCV_COLUMNS)].itertuples(index=False), strict=True
        )
    ]


def _exact(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        raise TypeError("candle frames for storage hold Decimal values, not floats")
    return Decimal(str(value))


def numeric_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """float64 copy of a candle frame, for the feature pipeline (never for money arithmetic)."""
    return frame[list(OHLCV_COLUMNS)].astype("float64")
