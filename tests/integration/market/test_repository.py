"""Candle upserts and reads on SQLite and PostgreSQL: exact, chunked, idempotent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from botfolio.db.database import Database
from botfolio.market.anomalies import Anomaly, AnomalyKind
from botfolio.market.candles import Candle, frame_to_candles
from botfolio.market.models import MarketAnomaly
from botfolio.market.repository import (
    UPSERT_CHUNK_ROWS,
    SeriesKey,
    count_candles,
    latest_candle_time,
    list_anomalies,
    list_series,
    read_candles,
    record_anomalies,
    upsert_candles,
)
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 2, 1, tzinfo=UTC)
SERIES = SeriesKey("binance", "ETH/BTC", "5m")


def candles(bars: int) -> list[Candle]:
    config = SyntheticMarketConfig(symbols=("ETH/BTC",), start=START, price_decimals=8)
    return frame_to_candles(generate_frames(config, seed=3, bars=bars)["ETH/BTC"])


async def test_upsert_candles_when_new_inserts_every_chunk_exactly(db: Database) -> None:
    rows = candles(UPSERT_CHUNK_ROWS * 2 + 17)
    chunks: list[int] = []
    async with db.transaction() as session:
        changed = await upsert_candles(session, SERIES, rows, on_chunk=chunks.append)
    assert changed == len(rows)
    assert chunks == [UPSERT_CHUNK_ROWS, UPSERT_CHUNK_ROWS, 17]
    async with db.session() as session:
        frame = await read_candles(session, SERIES)
        assert await count_candles(session, SERIES) == len(rows)
    assert frame_to_candles(frame) == rows
    assert isinstance(frame["close"].iloc[0], Decimal)


async def test_upsert_candles_when_repeated_changes_nothing(db: Database) -> None:
    rows = candles(300)
    async with db.transaction() as session:
        await upsert_candles(session, SERIES, rows)
    async with db.transaction() as session:
        assert await upsert_candles(session, SERIES, rows) == 0


async def test_upsert_candles_when_values_differ_updates_in_place(db: Database) -> None:
    rows = candles(50)
    async with db.transaction() as session:
        await upsert_candles(session, SERIES, rows)
    corrected = replace(rows[10], close=rows[10].close + Decimal("0.00000001"))
    async with db.transaction() as session:
        assert await upsert_candles(session, SERIES, [*rows[:10], corrected]) == 1
    async with db.session() as session:
        frame = await read_candles(session, SERIES)
    assert frame["close"].iloc[10] == corrected.close
    assert len(frame) == 50


async def test_read_candles_when_range_given_returns_half_open_window(db: Database) -> None:
    rows = candles(100)
    other = SeriesKey("binance", "LTC/BTC", "5m")
    async with db.transaction() as session:
        await upsert_candles(session, SERIES, rows)
        await upsert_candles(session, other, rows[:5])
    async with db.session() as session:
        window = await read_candles(
            session, SERIES, START + timedelta(minutes=50), START + timedelta(minutes=100)
        )
        latest = await latest_candle_time(session, SERIES)
        series = await list_series(session, venue="binance")
        nothing = await latest_candle_time(session, SeriesKey("kraken", "ETH/BTC", "5m"))
    assert list(window.index) == [START + timedelta(minutes=5 * i) for i in range(10, 20)]
    assert str(window.index.tz) == "UTC"
    assert latest == rows[-1].open_time and latest.tzinfo is not None
    assert series == [SERIES, other]
    assert nothing is None


async def test_record_anomalies_when_found_again_updates_without_duplicates(db: Database) -> None:
    first_seen = START + timedelta(days=1)
    anomaly = Anomaly(AnomalyKind.STALE_FEED, START, "old reason", {"age_seconds": 1})
    async with db.transaction() as session:
        await record_anomalies(session, SERIES, [anomaly], detected_at=first_seen)
    again = replace(anomaly, reason="new reason", details={"age_seconds": 2})
    async with db.transaction() as session:
        await record_anomalies(
            session, SERIES, [again], detected_at=first_seen + timedelta(hours=1)
        )
    async with db.session() as session:
        stored = await list_anomalies(session, venue="binance")
        total = (await session.execute(select(func.count()).select_from(MarketAnomaly))).scalar()
    assert total == 1
    assert stored[0].reason == "new reason" and stored[0].details == {"age_seconds": 2}
    assert stored[0].detected_at == first_seen
