"""Accounts created through the control API, and partial fills seen through ccxt."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ccxt.async_support as ccxt

from botfolio.exchanges.simulator import (
    RunningSimulator,
    SimulatorControl,
    point_ccxt_at_simulator,
    run_simulator,
)

from .conftest import BINANCE_KEY, BINANCE_SECRET, ClientFactory, simulator_config, write_tst_csv


async def test_account_created_by_control_api_when_used_by_ccxt_trades_with_its_balances(
    control: SimulatorControl, make_binance: ClientFactory, sim: RunningSimulator
) -> None:
    created = await control.create_account({"USDT": Decimal("250")})
    exchange = make_binance(api_key=created["api_key"], secret=created["secret"])

    await exchange.create_order("TST/USDT", "market", "buy", 2)
    balance = await exchange.fetch_balance()

    assert balance["TST"]["free"] == 1.998
    assert balance["USDT"]["free"] < 50.0
    assert [o["api_key"] for o in await control.orders(api_key=created["api_key"])] == [
        created["api_key"]
    ]


async def test_set_balances_when_called_changes_what_ccxt_reads(
    control: SimulatorControl, make_binance: ClientFactory
) -> None:
    await control.set_balances(BINANCE_KEY, {"USDT": Decimal("12.5")})
    exchange = make_binance()

    balance = await exchange.fetch_balance()

    assert balance["USDT"]["free"] == 12.5


async def test_limit_order_when_participation_capped_fills_partially_per_candle(
    tmp_path: Path,
) -> None:
    write_tst_csv(tmp_path)
    config = simulator_config(tmp_path)
    config.binance.participation = Decimal("0.1")  # 10 % of a 10-unit candle = 1 unit
    async with run_simulator(config) as sim, sim.control() as control:
        exchange = ccxt.binance({"apiKey": BINANCE_KEY, "secret": BINANCE_SECRET})
        point_ccxt_at_simulator(exchange, sim.binance_url)
        try:
            order = await exchange.create_order("TST/USDT", "limit", "buy", 3, 99)
            await control.step(60)
            after_one = await exchange.fetch_order(order["id"], "TST/USDT")
            await control.step(60)
            after_two = await exchange.fetch_order(order["id"], "TST/USDT")
        finally:
            await exchange.close()

    assert (after_one["status"], after_one["filled"]) == ("open", 1.0)
    assert after_one["info"]["status"] == "PARTIALLY_FILLED"
    assert (after_two["status"], after_two["filled"]) == ("open", 2.0)
