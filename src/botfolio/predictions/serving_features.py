"""Features for a request: the latest stored candles of the symbols, as one float64 matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import INDEX_NAME, OHLCV_COLUMNS
from botfolio.market.models import CandleRow
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
    """The last `lookback_bars` candles (as float64, for features only) before the newest stored
    candle of any of the symbols: two queries whatever the number of symbols."""
    where = (
        CandleRow.venue == venue,
        CandleRow.timeframe == timeframe,
        CandleRow.symbol.in_(list(symbols)),
    )
    newest = (await session.execute(select(func.max(CandleRow.open_time)).where(*where))).scalar()
    if newest is None:
        raise ValidationFailedError(f"no {timeframe} candles stored on {venue} for {symbols[0]}")
    start = newest - parse_timeframe(timeframe) * lookback_bars
    columns = [cast(CandleRow.__table__.c[name], Float).label(name) for name in OHLCV_COLUMNS]
    stmt = (
        select(CandleRow.symbol, CandleRow.open_time, *columns)
        .where(*where, CandleRow.open_time >= start)
        .order_by(CandleRow.symbol, CandleRow.open_time)
    )
    rows = (await session.execute(stmt)).all()
    return _frames_by_symbol(rows)


def _frames_by_symbol(rows: Sequence[Any]) -> dict[str, pd.DataFrame]:
    if not rows:
        return {}
    table = pd.DataFrame(rows, columns=["symbol", INDEX_NAME, *OHLCV_COLUMNS])
    table[INDEX_NAME] = pd.DatetimeIndex(pd.to_datetime(table[INDEX_NAME], utc=True))
    frames = {}
    for symbol, group in table.groupby("symbol", sort=False):
        frame = group.set_index(INDEX_NAME)[list(OHLCV_COLUMNS)].astype("float64")
        frames[str(symbol)] = frame
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
