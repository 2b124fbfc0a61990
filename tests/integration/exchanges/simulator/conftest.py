"""Fixtures: a simulator on loopback (stepped clock, one CSV market with known prices) and real
ccxt async clients pointed at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from botfolio.exchanges.simulator import (
    AccountSpec,
    MarketConfig,
    RunningSimulator,
    SimulatorConfig,
    SimulatorControl,
    point_ccxt_at_simulator,
    run_simulator,
)

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
BINANCE_KEY, BINANCE_SECRET = "test-binance-key-0001", "test-binance-secret-0001"
UPBIT_KEY, UPBIT_SECRET = "test-upbit-access-key-0001", "test-upbit-secret-key-0001"
# Two closed candles at 100 before START, then a minute whose low is 90, then back to 100.
TST_CANDLES = [
    ("2020-01-01T00:00:00Z", "100", "101", "99", "100", "10"),
    ("2020-01-01T00:01:00Z", "100", "101", "99", "100", "10"),
    ("2020-01-01T00:02:00Z", "100", "100", "90", "92", "10"),
    ("2020-01-01T00:03:00Z", "92", "100", "92", "100", "10"),
    ("2020-01-01T00:04:00Z", "100", "100", "100", "100", "10"),
]


def write_tst_csv(directory: Path) -> None:
    lines = ["date,open,high,low,close,volume"] + [",".join(row) for row in TST_CANDLES]
    (directory / "TST_USDT-1m.csv").write_text("\n".join(lines) + "\n")


def simulator_config(csv_dir: Path) -> SimulatorConfig:
    config = SimulatorConfig(
        start=START, seed=7, csv_dir=csv_dir, history_candles=2, control_token="t" * 32
    )
    config.binance.markets = [
        MarketConfig(symbol="BTC/USDT", start_price=Decimal("60000")),
        MarketConfig(
            symbol="ETH/USDT",
            start_price=Decimal("3000"),
            step_size=Decimal("0.0001"),
            min_qty=Decimal("0.001"),
        ),
    ]
    config.binance.accounts = [
        AccountSpec(
            api_key=BINANCE_KEY,
            secret=BINANCE_SECRET,
            balances={"USDT": Decimal("10000"), "BTC": Decimal("0.5"), "TST": Decimal("10")},
        )
    ]
    config.upbit.accounts = [
        AccountSpec(
            api_key=UPBIT_KEY,
            secret=UPBIT_SECRET,
            balances={"KRW": Decimal("10000000"), "BTC": Decimal("0.1")},
        )
    ]
    return config


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[RunningSimulator]:
    write_tst_csv(tmp_path)
    async with run_simulator(simulator_config(tmp_path)) as running:
        yield running


@pytest.fixture
async def control(sim: RunningSimulator) -> AsyncIterator[SimulatorControl]:
    async with sim.control("binance") as client:
        yield client


@pytest.fixture
async def upbit_control(sim: RunningSimulator) -> AsyncIterator[SimulatorControl]:
    async with sim.control("upbit") as client:
        yield client


ClientFactory = Callable[..., Any]


def last_code(exchange: Any) -> int:
    """The venue's error code in the raw body of the client's last HTTP response."""
    code: int = json.loads(exchange.last_http_response)["code"]
    return code


@pytest.fixture
async def make_binance(sim: RunningSimulator) -> AsyncIterator[ClientFactory]:
    """Build fresh ccxt binance clients (closed at teardown); kwargs override key/secret."""
    clients: list[Any] = []

    def build(api_key: str = BINANCE_KEY, secret: str = BINANCE_SECRET, **options: Any) -> Any:
        exchange = ccxt.binance({"apiKey": api_key, "secret": secret, **options})
        point_ccxt_at_simulator(exchange, sim.binance_url)
        clients.append(exchange)
        return exchange

    yield build
    for exchange in clients:
        await exchange.close()


@pytest.fixture
async def binance(make_binance: ClientFactory) -> Any:
    exchange = make_binance()
    await exchange.load_markets()
    return exchange


@pytest.fixture
async def make_upbit(sim: RunningSimulator) -> AsyncIterator[ClientFactory]:
    clients: list[Any] = []

    def build(api_key: str = UPBIT_KEY, secret: str = UPBIT_SECRET, **options: Any) -> Any:
        exchange = ccxt.upbit({"apiKey": api_key, "secret": secret, **options})
        point_ccxt_at_simulator(exchange, sim.upbit_url)
        clients.append(exchange)
        return exchange

    yield build
    for exchange in clients:
        await exchange.close()


@pytest.fixture
async def upbit(make_upbit: ClientFactory) -> Any:
    exchange = make_upbit()
    await exchange.load_markets()
    return exchange
