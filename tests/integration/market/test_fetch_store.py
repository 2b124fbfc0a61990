"""Fetching through the CandleFetcher protocol stores closed candles and resumes where it ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from botfolio.db.database import Database
from botfolio.errors import ValidationFailedError
from botfolio.market.candles import Candle, frame_to_candles
from botfolio.market.fetch import fetch_into_store
from botfolio.market.repository import SeriesKey, read_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames

START = datetime(2026, 2, 1, tzinfo=UTC)
SERIES = SeriesKey("sim", "BTC/USDT", "5m")


class ReplayVenue:
    def __init__(self, candles: list[Candle]) -> None:
        self.candles = candles

    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: datetime, limit: int
    ) -> list[Candle]:
        return [c for c in self.candles if c.open_time >= since][:limit]


async def test_fetch_into_store_when_run_twice_resumes_after_the_newest(db: Database) -> None:
    config = SyntheticMarketConfig(symbols=("BTC/USDT",), start=START)
    candles = frame_to_candles(generate_frames(config, seed=2, bars=60)["BTC/USDT"])
    venue = ReplayVenue(candles)
    first = await fetch_into_store(
        db, venue, SERIES, START + timedelta(minutes=5 * 40), since=START, limit=16
    )
    second = await fetch_into_store(db, venue, SERIES, START + timedelta(hours=6), limit=16)
    async with db.session() as session:
        stored = frame_to_candles(await read_candles(session, SERIES))
    assert (first.pages, first.candles_received, first.rows_changed) == (3, 40, 40)
    assert (second.candles_received, second.rows_changed) == (20, 20)
    assert stored == candles


async def test_fetch_into_store_when_nothing_stored_and_no_start_refuses(db: Database) -> None:
    with pytest.raises(ValidationFailedError, match="give a start time"):
        await fetch_into_store(db, ReplayVenue([]), SERIES, START)
