"""The real ccxt binance client against the simulator: market data, account, order lifecycle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from botfolio.exchanges.simulator import RunningSimulator, SimulatorControl

from .conftest import START, last_code


async def test_load_markets_when_spot_only_makes_one_request_with_venue_filters(
    binance: Any,
) -> None:
    market = binance.market("BTC/USDT")

    assert set(binance.symbols) == {"BTC/USDT", "ETH/USDT", "TST/USDT"}
    assert market["id"] == "BTCUSDT"
    assert market["precision"]["price"] == 0.01
    assert market["precision"]["amount"] == 0.00001
    assert market["limits"]["cost"]["min"] == 5.0
    assert market["active"] is True


async def test_fetch_ohlcv_when_clock_steps_returns_the_newly_closed_candle(
    binance: Any, control: SimulatorControl
) -> None:
    before = await binance.fetch_ohlcv("TST/USDT", "1m", limit=10)

    await control.step(60)
    after = await binance.fetch_ohlcv("TST/USDT", "1m", limit=10)

    start_ms = int(START.timestamp() * 1000)
    assert [c[0] for c in before] == [start_ms - 120_000, start_ms - 60_000]
    assert after[-1] == [start_ms, 100.0, 100.0, 90.0, 92.0, 10.0]


async def test_fetch_ohlcv_when_interval_is_coarser_aggregates_native_candles(
    binance: Any, control: SimulatorControl
) -> None:
    await control.step(600)

    candles = await binance.fetch_ohlcv("BTC/USDT", "5m", limit=3)

    assert [c[0] % 300_000 for c in candles] == [0, 0, 0]
    assert candles[-1][0] + 300_000 <= int((START + timedelta(minutes=10)).timestamp() * 1000)


async def test_fetch_ticker_and_order_book_when_queried_quote_around_last_close(
    binance: Any,
) -> None:
    ticker = await binance.fetch_ticker("TST/USDT")
    book = await binance.fetch_order_book("TST/USDT", limit=5)

    assert ticker["last"] == 100.0
    assert ticker["bid"] < 100.0 < ticker["ask"]
    assert book["bids"][0][0] == ticker["bid"]
    assert book["asks"][0][0] == ticker["ask"]


async def test_fetch_balance_when_account_configured_returns_free_and_used(binance: Any) -> None:
    balance = await binance.fetch_balance()

    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}
    assert balance["BTC"]["free"] == 0.5


async def test_create_limit_order_when_not_marketable_rests_and_locks_quote(
    binance: Any,
) -> None:
    order = await binance.create_order(
        "TST/USDT", "limit", "buy", 2, 95, {"clientOrderId": "bot1-0001"}
    )
    fetched = await binance.fetch_order(None, "TST/USDT", {"clientOrderId": "bot1-0001"})
    balance = await binance.fetch_balance()

    assert order["status"] == "open"
    assert order["clientOrderId"] == "bot1-0001"
    assert fetched["id"] == order["id"]
    assert fetched["status"] == "open"
    assert balance["USDT"]["used"] == 190.0
    assert [o["id"] for o in await binance.fetch_open_orders("TST/USDT")] == [order["id"]]


async def test_create_market_order_when_filled_reports_fills_fee_and_trades(
    binance: Any,
) -> None:
    order = await binance.create_order(
        "TST/USDT", "market", "buy", 1, None, {"clientOrderId": "bot1-0002"}
    )
    trades = await binance.fetch_my_trades("TST/USDT")
    balance = await binance.fetch_balance()

    ask = (await binance.fetch_ticker("TST/USDT"))["ask"]
    assert order["status"] == "closed"
    assert order["filled"] == 1.0
    assert order["average"] == ask
    assert order["fee"] == {"currency": "TST", "cost": 0.001}
    assert [t["order"] for t in trades] == [order["id"]]
    assert balance["TST"]["free"] == 10.999
    assert Decimal(str(balance["USDT"]["free"])) == Decimal("10000") - Decimal(str(ask))


async def test_cancel_order_when_open_releases_locked_funds(binance: Any) -> None:
    order = await binance.create_order(
        "TST/USDT", "limit", "buy", 2, 95, {"clientOrderId": "bot1-0003"}
    )

    canceled = await binance.cancel_order(order["id"], "TST/USDT")
    balance = await binance.fetch_balance()

    assert canceled["status"] == "canceled"
    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}
    assert await binance.fetch_open_orders("TST/USDT") == []


async def test_limit_order_when_clock_passes_crossing_candle_fills_at_limit_as_maker(
    binance: Any, control: SimulatorControl
) -> None:
    order = await binance.create_order(
        "TST/USDT", "limit", "buy", 2, 95, {"clientOrderId": "bot1-0004"}
    )
    still_open = await binance.fetch_order(order["id"], "TST/USDT")

    await control.step(60)
    filled = await binance.fetch_order(order["id"], "TST/USDT")
    trades = await binance.fetch_my_trades("TST/USDT")

    assert still_open["status"] == "open"
    assert filled["status"] == "closed"
    assert filled["average"] == 95.0
    assert trades[0]["takerOrMaker"] == "maker"
    assert trades[0]["timestamp"] == int((START + timedelta(minutes=1)).timestamp() * 1000)


async def test_cancel_order_when_already_filled_raises_order_not_found_2011(
    binance: Any,
) -> None:
    order = await binance.create_order("TST/USDT", "market", "buy", 1)

    with pytest.raises(ccxt.OrderNotFound):
        await binance.cancel_order(order["id"], "TST/USDT")

    assert last_code(binance) == -2011


async def test_fetch_order_when_unknown_raises_order_not_found_2013(binance: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        await binance.fetch_order(None, "TST/USDT", {"clientOrderId": "never-sent"})

    assert last_code(binance) == -2013


async def test_create_order_when_client_order_id_reused_raises_duplicate_2010(
    binance: Any, sim: RunningSimulator
) -> None:
    await binance.create_order("TST/USDT", "limit", "buy", 1, 95, {"clientOrderId": "dup-1"})

    with pytest.raises(ccxt.InvalidOrder) as raised:
        await binance.create_order("TST/USDT", "limit", "buy", 1, 95, {"clientOrderId": "dup-1"})

    assert "Duplicate order sent." in str(raised.value)
    assert len(sim.binance.venue.orders) == 1


async def test_create_order_when_quantity_below_min_qty_raises_invalid_order_1013(
    binance: Any,
) -> None:
    with pytest.raises(ccxt.InvalidOrder) as raised:
        await binance.create_order("ETH/USDT", "limit", "buy", 0.0005, 2900)

    assert "Filter failure: LOT_SIZE" in str(raised.value)
    assert last_code(binance) == -1013


async def test_create_order_when_notional_too_small_is_rejected_with_1013(binance: Any) -> None:
    # ccxt 4.5.90 maps -1013 NOTIONAL to BadRequest, not InvalidOrder (only LOT_SIZE and
    # PRICE_FILTER are matched from the body): the gateway must treat both as rejections.
    with pytest.raises(ccxt.BadRequest) as raised:
        await binance.create_order("BTC/USDT", "limit", "buy", 0.00001, 50000)

    assert "Filter failure: NOTIONAL" in str(raised.value)


async def test_create_order_when_balance_short_raises_insufficient_funds_2010(
    binance: Any, sim: RunningSimulator
) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        await binance.create_order("TST/USDT", "limit", "buy", 200, 95)

    assert last_code(binance) == -2010
    assert sim.binance.venue.orders == {}


async def test_fetch_ohlcv_when_interval_finer_than_data_is_refused_with_1120(
    binance: Any,
) -> None:
    with pytest.raises(ccxt.BadRequest):
        await binance.fetch_ohlcv("TST/USDT", "1s")

    assert last_code(binance) == -1120
