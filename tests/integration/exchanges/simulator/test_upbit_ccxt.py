"""The real ccxt upbit client against the simulator's Upbit dialect (JWT auth, KRW markets)."""

from __future__ import annotations

import json
from typing import Any

import ccxt.async_support as ccxt
import pytest

from botfolio.exchanges.simulator import RunningSimulator, SimulatorControl

from .conftest import UPBIT_KEY, ClientFactory


async def fetch_by_identifier(exchange: Any, identifier: str) -> Any:
    """ccxt 4.5.90's upbit.fetch_order(None, ...) sends `uuid=None`; look up by identifier alone
    through its implicit API, as the gateway will have to."""
    return exchange.parse_order(await exchange.privateGetOrder({"identifier": identifier}))


def last_error_name(exchange: Any) -> str:
    name: str = json.loads(exchange.last_http_response)["error"]["name"]
    return name


async def test_load_markets_when_called_lists_krw_markets(upbit: Any) -> None:
    assert set(upbit.symbols) == {"BTC/KRW", "ETH/KRW"}
    assert upbit.market("BTC/KRW")["id"] == "KRW-BTC"


async def test_fetch_ohlcv_when_clock_steps_returns_newest_candles_in_order(
    upbit: Any, upbit_control: SimulatorControl
) -> None:
    before = await upbit.fetch_ohlcv("BTC/KRW", "1m", limit=2)

    await upbit_control.step(120)
    after = await upbit.fetch_ohlcv("BTC/KRW", "1m", limit=2)

    assert [c[0] - before[0][0] for c in before] == [0, 60_000]
    assert after[0][0] - before[0][0] == 120_000
    assert all(c[3] <= c[1] <= c[2] and c[3] <= c[4] <= c[2] for c in after)


async def test_fetch_ticker_and_balance_when_queried_return_price_and_wallet(upbit: Any) -> None:
    ticker = await upbit.fetch_ticker("BTC/KRW")
    balance = await upbit.fetch_balance()
    book = await upbit.fetch_order_book("BTC/KRW", 5)

    assert ticker["last"] > 0
    assert book["bids"][0][0] < ticker["last"] < book["asks"][0][0]
    assert balance["KRW"] == {"free": 10_000_000.0, "used": 0.0, "total": 10_000_000.0}


async def test_create_limit_order_when_resting_is_found_by_uuid_and_identifier_then_canceled(
    upbit: Any,
) -> None:
    price = (await upbit.fetch_ticker("BTC/KRW"))["last"]
    limit = int(price * 0.9) // 1000 * 1000

    order = await upbit.create_order(
        "BTC/KRW", "limit", "buy", 0.01, limit, {"clientOrderId": "ub-0001"}
    )
    by_uuid = await upbit.fetch_order(order["id"])
    by_identifier = await fetch_by_identifier(upbit, "ub-0001")
    open_orders = await upbit.fetch_open_orders("BTC/KRW")
    await upbit.cancel_order(order["id"])
    after_cancel = await upbit.fetch_order(order["id"])

    assert order["status"] == "open"
    assert order["clientOrderId"] == "ub-0001"
    assert by_uuid["status"] == "open"
    assert by_identifier["id"] == order["id"]
    assert [o["id"] for o in open_orders] == [order["id"]]
    assert after_cancel["status"] == "canceled"
    assert (await upbit.fetch_balance())["KRW"]["used"] == 0.0


async def test_create_market_buy_when_filled_spends_cost_plus_fee_in_krw(upbit: Any) -> None:
    price = (await upbit.fetch_ticker("BTC/KRW"))["last"]

    order = await upbit.create_order(
        "BTC/KRW", "market", "buy", 0.01, price, {"clientOrderId": "ub-0002"}
    )
    fetched = await upbit.fetch_order(order["id"])
    balance = await upbit.fetch_balance()

    assert order["status"] == "closed"
    assert fetched["filled"] == pytest.approx(0.01, rel=0.01)
    assert fetched["fee"]["currency"] == "KRW"
    assert balance["BTC"]["free"] == pytest.approx(0.1 + fetched["filled"])
    spent = 10_000_000 - balance["KRW"]["free"]
    assert spent == pytest.approx(fetched["cost"] + float(fetched["fee"]["cost"]))


async def test_create_order_when_identifier_reused_is_rejected(
    upbit: Any, sim: RunningSimulator
) -> None:
    await upbit.create_order("BTC/KRW", "limit", "buy", 0.001, 50_000_000, {"clientOrderId": "x1"})

    with pytest.raises(ccxt.ExchangeError):
        await upbit.create_order(
            "BTC/KRW", "limit", "buy", 0.001, 50_000_000, {"clientOrderId": "x1"}
        )

    assert last_error_name(upbit) == "duplicate_identifier"
    assert len(sim.upbit.venue.orders) == 1


async def test_create_order_when_krw_short_raises_insufficient_funds(upbit: Any) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        await upbit.create_order("BTC/KRW", "limit", "buy", 1, 50_000_000)

    assert last_error_name(upbit) == "insufficient_funds_bid"


async def test_private_call_when_secret_wrong_raises_authentication_error(
    make_upbit: ClientFactory,
) -> None:
    exchange = make_upbit(secret="wrong-secret-wrong-secret")

    with pytest.raises(ccxt.AuthenticationError):
        await exchange.fetch_balance()

    assert last_error_name(exchange) == "jwt_verification"


async def test_private_call_when_key_unknown_raises_authentication_error(
    make_upbit: ClientFactory,
) -> None:
    exchange = make_upbit(api_key="unknown-access-key")

    with pytest.raises(ccxt.AuthenticationError):
        await exchange.fetch_balance()

    assert last_error_name(exchange) == "invalid_access_key"


async def test_credentials_expired_fault_when_injected_raises_authentication_error(
    upbit: Any, upbit_control: SimulatorControl
) -> None:
    await upbit_control.add_fault("credentials_expired", api_key=UPBIT_KEY)

    with pytest.raises(ccxt.AuthenticationError):
        await upbit.fetch_balance()


async def test_response_lost_fault_when_order_posted_order_exists_on_venue(
    upbit: Any, upbit_control: SimulatorControl
) -> None:
    await upbit_control.add_fault("response_lost", path="/v1/orders", lost_as="504", count=1)

    with pytest.raises(ccxt.RequestTimeout):
        await upbit.create_order(
            "BTC/KRW", "limit", "buy", 0.001, 50_000_000, {"clientOrderId": "lost-u1"}
        )
    found = await fetch_by_identifier(upbit, "lost-u1")

    assert found["status"] == "open"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, ccxt.ExchangeNotAvailable), (429, ccxt.RateLimitExceeded)],
)
async def test_http_error_fault_when_injected_raises_mapped_ccxt_error(
    upbit: Any, upbit_control: SimulatorControl, status: int, expected: type[Exception]
) -> None:
    await upbit_control.add_fault("http_error", path="/v1/ticker", status=status, count=1)

    with pytest.raises(expected):
        await upbit.fetch_ticker("BTC/KRW")
