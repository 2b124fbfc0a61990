"""`botfolio data fetch`'s loop on the real path: the simulator's candles through CCXT into the
store, page by page; a second fetch resumes after the newest stored candle and adds nothing old."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from botfolio.config import ExchangeSettings, VenueSettings
from botfolio.errors import ValidationFailedError
from botfolio.exchanges.registry import GatewayRegistry
from botfolio.exchanges.simulator.config import SimulatorConfig
from botfolio.exchanges.simulator.server import RunningSimulator, run_simulator
from botfolio.market.fetch import GatewayCandleFetcher, fetch_into_store
from botfolio.market.repository import SeriesKey, count_candles
from botfolio.runtime import Runtime

START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sim() -> AsyncIterator[RunningSimulator]:
    async with run_simulator(SimulatorConfig(seed=4, start=START, history_candles=1500)) as running:
        yield running


async def test_fetch_pages_candles_in_and_resumes(runtime: Runtime, sim: RunningSimulator) -> None:
    venues = {"binance": VenueSettings(ccxt_id="binance", base_url=sim.binance_url)}
    gateways = GatewayRegistry(
        ExchangeSettings(venues=venues), runtime.db, runtime.cipher, runtime.clock
    )
    series = SeriesKey("binance", "BTC/USDT", "1m")
    pages: list[int] = []
    try:
        fetcher = GatewayCandleFetcher(await gateways.for_market_data("binance"))
        with pytest.raises(ValidationFailedError, match="--since"):
            await fetch_into_store(runtime.db, fetcher, series, START)
        first = await fetch_into_store(
            runtime.db,
            fetcher,
            series,
            START,
            since=START - timedelta(minutes=1200),
            limit=500,
            on_page=pages.append,
        )
        await sim.control("binance").step(180)
        second = await fetch_into_store(runtime.db, fetcher, series, START + timedelta(minutes=3))
    finally:
        await gateways.close()

    assert first.candles_received == 1200 and first.pages == 3 and pages == [500, 500, 200]
    assert second.candles_received == 3 and second.rows_changed == 3
    async with runtime.db.session() as session:
        assert await count_candles(session, series) == 1203
    assert first.last_open_time == START - timedelta(minutes=1)
