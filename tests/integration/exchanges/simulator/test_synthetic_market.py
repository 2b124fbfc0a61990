"""The synthetic market generator (`botfolio.market.synthetic`) plugged in as a candle source."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import ccxt.async_support as ccxt

from botfolio.exchanges.simulator import point_ccxt_at_simulator, run_simulator
from botfolio.market.synthetic import SyntheticCandleFeed, SyntheticMarket, SyntheticMarketConfig

from .conftest import BINANCE_KEY, BINANCE_SECRET, START, simulator_config, write_tst_csv


async def test_synthetic_feed_when_plugged_in_serves_its_candles_and_prices_through_ccxt(
    tmp_path: Path,
) -> None:
    market = SyntheticMarket(
        SyntheticMarketConfig(
            symbols=("BTC/USDT", "SOL/USDT"), timeframe="1m", start=START - timedelta(minutes=30)
        ),
        seed=11,
    )
    feed = SyntheticCandleFeed(market)
    sources = {
        "binance": {"BTC/USDT": feed.source("BTC/USDT"), "SOL/USDT": feed.source("SOL/USDT")}
    }
    write_tst_csv(tmp_path)
    async with run_simulator(simulator_config(tmp_path), candle_sources=sources) as sim:
        exchange = ccxt.binance({"apiKey": BINANCE_KEY, "secret": BINANCE_SECRET})
        point_ccxt_at_simulator(exchange, sim.binance_url)
        try:
            await exchange.load_markets()
            async with sim.control() as control:
                await control.step(120)
            candles = await exchange.fetch_ohlcv("SOL/USDT", "1m", limit=5)
            ticker = await exchange.fetch_ticker("SOL/USDT")
        finally:
            await exchange.close()

    expected = feed.source("SOL/USDT").closed_candles(START + timedelta(minutes=2))[-5:]
    assert "SOL/USDT" in exchange.symbols
    assert [c[0] for c in candles] == [int(e.open_time.timestamp() * 1000) for e in expected]
    assert [c[4] for c in candles] == [float(e.close) for e in expected]
    assert ticker["last"] == float(expected[-1].close)
