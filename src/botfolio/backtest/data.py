"""Candle CSV files read in one vectorised pass for backtests (float64 frames, checked whole).

`predictions.sources.load_csv_candles` validates row by row into exact Decimal candles, which
costs about a second for ten files: more than the whole backtest. The replay only needs float
prices for features and Decimal prices at the few rebalance points (recovered exactly from the
shortest float repr), so this reader checks the same rules on whole columns instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import INDEX_NAME, OHLCV_COLUMNS
from botfolio.market.csv_import import REQUIRED_COLUMNS, symbol_from_file_name
from botfolio.market.timeframes import parse_timeframe


def read_candle_csvs(paths: Sequence[Path], timeframe: str) -> dict[str, pd.DataFrame]:
    """Symbol -> float candle frame from files named like ETH_BTC-5m.csv."""
    if not paths:
        raise ValidationFailedError("name at least one candle file")
    frames: dict[str, pd.DataFrame] = {}
    for path in paths:
        symbol = symbol_from_file_name(path).symbol
        if symbol in frames:
            raise ValidationFailedError(f"two files hold {symbol}: {path.name} is one of them")
        frames[symbol] = read_candle_csv(path, timeframe)
    return frames


def read_candle_csv(path: Path, timeframe: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype={c: "float64" for c in OHLCV_COLUMNS})
    except (OSError, ValueError) as exc:
        raise ValidationFailedError(f"{path}: cannot read candles: {exc}", path=str(path)) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise ValidationFailedError(f"{path}: missing column(s) {', '.join(missing)}")
    index = pd.DatetimeIndex(pd.to_datetime(raw["date"], utc=True, format="ISO8601"))
    frame = pd.DataFrame(raw[list(OHLCV_COLUMNS)].to_numpy(), index=index, columns=OHLCV_COLUMNS)
    frame.index.name = INDEX_NAME
    _check(path, frame, timeframe)
    return frame


def _check(path: Path, frame: pd.DataFrame, timeframe: str) -> None:
    """The rules `data import` applies, on whole columns: finite, consistent, ordered, aligned."""
    values = frame.to_numpy()
    o, h, low, c, v = (values[:, i] for i in range(5))
    bad = ~np.isfinite(values).all(axis=1) | (low <= 0) | (v < 0)
    bad |= (low > np.minimum(o, c)) | (np.maximum(o, c) > h)
    step = int(parse_timeframe(timeframe).total_seconds())
    seconds = pd.DatetimeIndex(frame.index).as_unit("s").asi8
    bad |= seconds % step != 0
    if bad.any():
        line = int(np.flatnonzero(bad)[0]) + 2  # header is line 1
        raise ValidationFailedError(
            f"{path}:{line}: bad candle ({int(bad.sum())} row(s) refused, nothing used)",
            path=str(path),
        )
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise ValidationFailedError(f"{path}: candles are not in strictly increasing time order")
