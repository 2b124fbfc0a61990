"""Candles of many symbols aligned on one full time grid (time x symbol float64 frames).

Gap policy: real venues skip candles. Every series is reindexed to the complete grid of the
timeframe. A missing candle is filled only when the previous candle is at most `max_fill_bars`
old: it becomes a flat, no-trade candle (open = high = low = close = the last close, volume 0).
Longer gaps stay NaN, so every feature whose window touches them is NaN (LightGBM treats NaN as
missing) and no target spans them. Filling looks only backwards, so it never leaks the future.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import INDEX_NAME, OHLCV_COLUMNS
from botfolio.market.timeframes import pandas_frequency

MAX_FILL_BARS = 1
SYMBOL_LEVEL = "symbol"


@dataclass(frozen=True)
class MarketPanel:
    """Wide frames indexed by the full grid, one column per symbol; `observed` marks real candles."""

    timeframe: str
    open: pd.DataFrame
    high: pd.DataFrame
    low: pd.DataFrame
    close: pd.DataFrame
    volume: pd.DataFrame
    observed: pd.DataFrame

    @property
    def symbols(self) -> list[str]:
        return [str(s) for s in self.close.columns]


def build_panel(
    candles: Mapping[str, pd.DataFrame], timeframe: str, *, max_fill_bars: int = MAX_FILL_BARS
) -> MarketPanel:
    """Align candle frames (Decimal or float) of several symbols on the full timeframe grid."""
    if not candles:
        raise ValidationFailedError("no candles given: name at least one symbol with data")
    frequency = pandas_frequency(timeframe)
    wide = {column: _wide(candles, column) for column in OHLCV_COLUMNS}
    start, end = wide["close"].index.min(), wide["close"].index.max()
    grid = pd.date_range(start, end, freq=frequency, name=INDEX_NAME)
    off_grid = wide["close"].index.difference(grid)
    if len(off_grid) > 0:
        raise ValidationFailedError(
            f"{len(off_grid)} candle(s) are not on the {timeframe} grid, first {off_grid[0]}"
        )
    aligned = {column: frame.reindex(grid) for column, frame in wide.items()}
    observed = aligned["close"].notna()
    close = aligned["close"].ffill(limit=max_fill_bars) if max_fill_bars > 0 else aligned["close"]
    filled = close.notna() & ~observed
    flat = {column: aligned[column].mask(filled, close) for column in ("open", "high", "low")}
    volume = aligned["volume"].mask(filled, 0.0)
    return MarketPanel(timeframe, flat["open"], flat["high"], flat["low"], close, volume, observed)


def _wide(candles: Mapping[str, pd.DataFrame], column: str) -> pd.DataFrame:
    series = {}
    for symbol, frame in candles.items():
        unique = frame[~frame.index.duplicated(keep="first")]
        series[symbol] = unique[column].astype("float64")
    wide = pd.concat(series, axis=1, sort=True)
    wide.columns.name = SYMBOL_LEVEL
    wide.index = pd.DatetimeIndex(wide.index, name=INDEX_NAME)
    return wide


def to_long(wide: Mapping[str, pd.DataFrame], keep: pd.DataFrame) -> pd.DataFrame:
    """Stack wide frames into one long frame indexed (open_time, symbol), rows where `keep`."""
    columns = {name: frame.stack() for name, frame in wide.items()}
    long = pd.DataFrame(columns)
    mask = keep.stack().reindex(long.index, fill_value=False).to_numpy(dtype=bool)
    return long[mask]


def log_close(panel: MarketPanel) -> pd.DataFrame:
    return pd.DataFrame(np.log(panel.close), index=panel.close.index, columns=panel.close.columns)
