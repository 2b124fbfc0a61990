"""Quality checks on stored candles record each anomaly once, and re-checks update it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botfolio.db.database import Database
from botfolio.market.anomalies import AnomalyKind
from botfolio.market.candles import frame_to_candles
from botfolio.market.quality import check_series
from botfolio.market.repository import SeriesKey, list_anomalies, upsert_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 2, 1, tzinfo=UTC)
SERIES = SeriesKey("binance", "ETH/BTC", "5m")


async def test_check_series_when_gap_and_stale_records_them_once(db: Database) -> None:
    config = SyntheticMarketConfig(symbols=("ETH/BTC",), start=START)
    candles = frame_to_candles(generate_frames(config, seed=6, bars=300)["ETH/BTC"])
    del candles[100:104]
    async with db.transaction() as session:
        await upsert_candles(session, SERIES, candles)
    first_check = candles[-1].open_time + timedelta(hours=2)
    async with db.transaction() as session:
        report = await check_series(session, SERIES, first_check)
    async with db.transaction() as session:
        await check_series(session, SERIES, first_check + timedelta(hours=1))
    async with db.session() as session:
        stored = await list_anomalies(session, venue="binance", symbol="ETH/BTC")
    assert not report.ok
    assert sorted(a.kind for a in stored) == [AnomalyKind.MISSING_CANDLES, AnomalyKind.STALE_FEED]
    gap = next(a for a in stored if a.kind == AnomalyKind.MISSING_CANDLES)
    assert gap.at == START + timedelta(minutes=500) and gap.details["missing"] == 4
    stale = next(a for a in stored if a.kind == AnomalyKind.STALE_FEED)
    assert stale.detected_at == first_check
    assert stale.details["checked_at"] == (first_check + timedelta(hours=1)).isoformat()
