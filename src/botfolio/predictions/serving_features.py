"""Features for a request: the latest stored candles of the symbols, as one float64 matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import INDEX_NAME
from botfolio.market.repository import SeriesKey, latest_candle_time, read_candles
from botfolio.market.timeframes import parse_timeframe
from botfolio.predictions.features import FEATURE_NAMES, compute_features


@dataclass(frozen=True)
class FeatureRows:
    as_of: datetime
    symbols: tuple[str, ...]
    matrix: np.ndarray


async def read_recent_candles(
    session: AsyncSession,
    venue: str,
    timeframe: str,
    symbols: Sequence[str],
    lookback_bars: int,
) -> dict[str, pd.DataFrame]:
    """The last `lookback_bars` candles before the newest stored candle of any of the symbols."""
    latest = [await latest_candle_time(session, SeriesKey(venue, s, timeframe)) for s in symbols]
    known = [moment for moment in latest if moment is not None]
    if not known:
        raise ValidationFailedError(f"no {timeframe} candles stored on {venue} for {symbols[0]}")
    start = max(known) - parse_timeframe(timeframe) * lookback_bars
    frames = {}
    for symbol in symbols:
        frame = await read_candles(session, SeriesKey(venue, symbol, timeframe), start=start)
        if not frame.empty:
            frames[symbol] = frame
    return frames


def feature_rows(
    candles: dict[str, pd.DataFrame], timeframe: str, wanted: Sequence[str]
) -> FeatureRows:
    """Features at the newest candle time for `wanted`; other symbols only shape the ranks."""
    missing = [s for s in wanted if s not in candles]
    if missing:
        raise ValidationFailedError(f"no recent candles for {', '.join(missing)}")
    features = compute_features(candles, timeframe)
    times = features.index.get_level_values(INDEX_NAME)
    as_of = times.max()
    latest = features[times == as_of].droplevel(INDEX_NAME)
    stale = [s for s in wanted if s not in latest.index]
    if stale:
        raise ValidationFailedError(
            f"no candle at {as_of.isoformat()} for {', '.join(stale)}: their data is stale"
        )
    rows = latest.loc[list(wanted), list(FEATURE_NAMES)]
    matrix = np.ascontiguousarray(rows.to_numpy(dtype=np.float64))
    return FeatureRows(as_of=as_of.to_pydatetime(), symbols=tuple(wanted), matrix=matrix)
