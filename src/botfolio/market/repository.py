"""All SQL for market data: bulk candle upserts, range reads as DataFrames, anomaly records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.db.ids import new_id
from botfolio.market.anomalies import Anomaly
from botfolio.market.candles import INDEX_NAME, OHLCV_COLUMNS, Candle, candles_to_frame
from botfolio.market.models import CandleRow, MarketAnomaly

UPSERT_CHUNK_ROWS = 1000  # 9 parameters a row: well under SQLite's and asyncpg's limits
_candles = CandleRow.__table__
_anomalies = MarketAnomaly.__table__


@dataclass(frozen=True)
class SeriesKey:
    """Which candle series: the venue, the symbol and the timeframe."""

    venue: str
    symbol: str
    timeframe: str


def _dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"candle upserts are not implemented for {name}")


async def upsert_candles(
    session: AsyncSession,
    series: SeriesKey,
    candles: Sequence[Candle],
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert candles or update the stored ones in place; returns how many rows changed.

    Rows whose values are already stored are left untouched (the update has a WHERE clause), so
    re-importing the same data writes nothing and reports 0.
    """
    insert = _dialect_insert(session)(_candles)
    excluded = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=["venue", "symbol", "timeframe", "open_time"],
        set_={column: excluded[column] for column in OHLCV_COLUMNS},
        where=or_(*(_candles.c[col] != excluded[col] for col in OHLCV_COLUMNS)),
    ).returning(_candles.c.open_time)
    changed = 0
    for start in range(0, len(candles), UPSERT_CHUNK_ROWS):
        chunk = candles[start : start + UPSERT_CHUNK_ROWS]
        # One compiled statement, many parameter sets: SQLAlchemy batches them into multi-row
        # VALUES ("insertmanyvalues"); RETURNING yields only the rows inserted or really updated.
        result = await session.execute(statement, [_candle_values(series, c) for c in chunk])
        changed += len(result.all())
        if on_chunk is not None:
            on_chunk(len(chunk))
    return changed


def _candle_values(series: SeriesKey, candle: Candle) -> dict[str, Any]:
    return {
        "venue": series.venue,
        "symbol": series.symbol,
        "timeframe": series.timeframe,
        "open_time": candle.open_time,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
    }


def _series_filter(statement: Select[Any], series: SeriesKey) -> Select[Any]:
    return statement.where(
        CandleRow.venue == series.venue,
        CandleRow.symbol == series.symbol,
        CandleRow.timeframe == series.timeframe,
    )


async def read_candles(
    session: AsyncSession,
    series: SeriesKey,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Candles with start <= open_time < end as a frame of exact Decimal values, oldest first."""
    statement = _series_filter(select(CandleRow), series).order_by(CandleRow.open_time)
    if start is not None:
        statement = statement.where(CandleRow.open_time >= start)
    if end is not None:
        statement = statement.where(CandleRow.open_time < end)
    rows = (await session.execute(statement)).scalars().all()
    frame = candles_to_frame(
        Candle(r.open_time, r.open, r.high, r.low, r.close, r.volume) for r in rows
    )
    frame.index = pd.DatetimeIndex(frame.index, tz="UTC", name=INDEX_NAME)
    return frame


async def count_candles(session: AsyncSession, series: SeriesKey) -> int:
    statement = _series_filter(select(func.count()).select_from(CandleRow), series)
    return int((await session.execute(statement)).scalar_one())


async def latest_candle_time(session: AsyncSession, series: SeriesKey) -> datetime | None:
    statement = _series_filter(select(func.max(CandleRow.open_time)), series)
    latest: datetime | None = (await session.execute(statement)).scalar_one_or_none()
    return latest


async def list_series(
    session: AsyncSession, *, venue: str | None = None, symbol: str | None = None
) -> list[SeriesKey]:
    statement = select(CandleRow.venue, CandleRow.symbol, CandleRow.timeframe).distinct()
    if venue is not None:
        statement = statement.where(CandleRow.venue == venue)
    if symbol is not None:
        statement = statement.where(CandleRow.symbol == symbol)
    rows = (await session.execute(statement.order_by(*statement.selected_columns))).all()
    return [SeriesKey(venue=v, symbol=s, timeframe=t) for v, s, t in rows]


async def record_anomalies(
    session: AsyncSession,
    series: SeriesKey,
    anomalies: Sequence[Anomaly],
    detected_at: datetime,
) -> None:
    """Store anomalies; one found again keeps its first detection time and gets the new reason."""
    if not anomalies:
        return
    insert = _dialect_insert(session)
    for start in range(0, len(anomalies), UPSERT_CHUNK_ROWS):
        chunk = anomalies[start : start + UPSERT_CHUNK_ROWS]
        statement = insert(_anomalies).values(
            [_anomaly_values(series, a, detected_at) for a in chunk]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["venue", "symbol", "timeframe", "at", "kind"],
            set_={"reason": statement.excluded.reason, "details": statement.excluded.details},
        )
        await session.execute(statement)


def _anomaly_values(series: SeriesKey, anomaly: Anomaly, detected_at: datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "venue": series.venue,
        "symbol": series.symbol,
        "timeframe": series.timeframe,
        "at": anomaly.at,
        "kind": str(anomaly.kind),
        "reason": anomaly.reason,
        "details": anomaly.details,
        "detected_at": detected_at,
    }


async def list_anomalies(
    session: AsyncSession, *, venue: str | None = None, symbol: str | None = None
) -> list[MarketAnomaly]:
    statement = select(MarketAnomaly).order_by(
        MarketAnomaly.venue, MarketAnomaly.symbol, MarketAnomaly.at, MarketAnomaly.kind
    )
    if venue is not None:
        statement = statement.where(MarketAnomaly.venue == venue)
    if symbol is not None:
        statement = statement.where(MarketAnomaly.symbol == symbol)
    return list((await session.execute(statement)).scalars().all())
