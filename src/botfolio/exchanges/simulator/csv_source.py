"""Replays OHLCV candles from a CSV file (columns date,open,high,low,close,volume)."""

from __future__ import annotations

import bisect
import csv
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from botfolio.clock import ensure_utc
from botfolio.exchanges.simulator.candles import Candle

_COLUMNS = ("date", "open", "high", "low", "close", "volume")


class CsvCandleSource:
    """All candles of one file, optionally shifted in time so a replay can start "now".

    After the last row the market stands still: the last close stays the price.
    """

    def __init__(self, candles: Sequence[Candle], interval: timedelta) -> None:
        if not candles:
            raise ValueError("a CSV candle source needs at least one candle")
        self._candles = list(candles)
        self._interval = interval
        self._close_times = [c.open_time + interval for c in self._candles]

    @classmethod
    def from_file(cls, path: Path, shift: timedelta = timedelta(0)) -> CsvCandleSource:
        candles = [_shifted(c, shift) for c in read_candles(path)]
        return cls(candles, _infer_interval(candles, path))

    @classmethod
    def replay_from(cls, path: Path, start: datetime, history: int) -> CsvCandleSource:
        """Shift the file so its `history`-th candle opens at `start`: that many candles
        are already closed when the market opens, the rest unfold with the clock."""
        candles = read_candles(path)
        interval = _infer_interval(candles, path)
        skip = min(history, len(candles) - 1)
        shift = ensure_utc(start) - candles[skip].open_time
        return cls([_shifted(c, shift) for c in candles], interval)

    @property
    def interval(self) -> timedelta:
        return self._interval

    @property
    def first_price(self) -> Decimal:
        return self._candles[0].close

    def closed_candles(self, until: datetime) -> Sequence[Candle]:
        return self._candles[: bisect.bisect_right(self._close_times, until)]


def read_candles(path: Path) -> list[Candle]:
    """Parse the file with Decimal prices; a malformed row names its line number."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ())[: len(_COLUMNS)] != _COLUMNS:
            raise ValueError(f"{path}: expected columns {','.join(_COLUMNS)}")
        return [_parse_row(row, path, line) for line, row in enumerate(reader, start=2)]


def _parse_row(row: dict[str, str], path: Path, line: int) -> Candle:
    try:
        open_time = ensure_utc(datetime.fromisoformat(row["date"].replace("Z", "+00:00")))
        o, h, low, c, v = (Decimal(row[k]) for k in ("open", "high", "low", "close", "volume"))
    except (ValueError, InvalidOperation, KeyError) as exc:
        raise ValueError(f"{path}:{line}: malformed candle row") from exc
    return Candle(open_time, o, h, low, c, v)


def _infer_interval(candles: Sequence[Candle], path: Path) -> timedelta:
    if len(candles) < 2:
        raise ValueError(f"{path}: need two candles to infer the interval")
    return candles[1].open_time - candles[0].open_time


def _shifted(candle: Candle, shift: timedelta) -> Candle:
    if not shift:
        return candle
    return Candle(
        candle.open_time + shift, candle.open, candle.high, candle.low, candle.close, candle.volume
    )
