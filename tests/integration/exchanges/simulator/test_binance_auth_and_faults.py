"""Authentication errors and injected faults, as the real ccxt binance client experiences them."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt
import httpx
import pytest

from botfolio.exchanges.simulator import RunningSimulator, SimulatorControl

from .conftest import BINANCE_KEY, ClientFactory, last_code


async def test_signed_call_when_secret_wrong_raises_authentication_error_1022(
    make_binance: ClientFactory,
) -> None:
    exchange = make_binance(secret="not-the-secret")

    with pytest.raises(ccxt.AuthenticationError):
        await exchange.fetch_balance()

    assert last_code(exchange) == -1022


async def test_signed_call_when_timestamp_stale_raises_invalid_nonce_1021(
    make_binance: ClientFactory,
) -> None:
    exchange = make_binance()
    exchange.options["timeDifference"] = 10_000

    with pytest.raises(ccxt.InvalidNonce):
        await exchange.fetch_balance()

    assert last_code(exchange) == -1021


async def test_signed_call_when_server_clock_skewed_raises_invalid_nonce_1021(
    make_binance: ClientFactory, control: SimulatorControl
) -> None:
    await control.set_server_skew(-3_000)
    exchange = make_binance()

    with pytest.raises(ccxt.InvalidNonce):
        await exchange.fetch_balance()

    assert last_code(exchange) == -1021


async def test_signed_call_when_key_unknown_raises_authentication_error_2015(
    make_binance: ClientFactory,
) -> None:
    exchange = make_binance(api_key="nobody-knows-this-key")

    with pytest.raises(ccxt.AuthenticationError):
        await exchange.fetch_balance()

    assert last_code(exchange) == -2015


async def test_credentials_expired_fault_when_fresh_client_raises_authentication_error(
    make_binance: ClientFactory, control: SimulatorControl
) -> None:
    await control.add_fault("credentials_expired", api_key=BINANCE_KEY)
    exchange = make_binance()

    with pytest.raises(ccxt.AuthenticationError):
        await exchange.fetch_balance()

    assert last_code(exchange) == -2015


async def test_credentials_expired_fault_when_client_already_authenticated_raises_ddos(
    binance: Any, control: SimulatorControl
) -> None:
    # ccxt 4.5.90 reports -2015 after a successful signed call as DDoSProtection.
    await binance.fetch_balance()
    await control.add_fault("credentials_expired", api_key=BINANCE_KEY)

    with pytest.raises(ccxt.DDoSProtection):
        await binance.fetch_balance()

    assert last_code(binance) == -2015


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, ccxt.ExchangeNotAvailable),
        (503, ccxt.ExchangeNotAvailable),
        (504, ccxt.RequestTimeout),
        (429, ccxt.DDoSProtection),
        (418, ccxt.DDoSProtection),
    ],
)
async def test_http_error_fault_when_injected_raises_mapped_ccxt_error(
    binance: Any, control: SimulatorControl, status: int, expected: type[Exception]
) -> None:
    await control.add_fault("http_error", path="/api/v3/ticker/24hr", status=status, count=1)

    with pytest.raises(expected):
        await binance.fetch_ticker("TST/USDT")
    recovered = await binance.fetch_ticker("TST/USDT")

    assert recovered["last"] == 100.0


async def test_rate_limit_fault_when_429_sends_binance_1003_body(
    binance: Any, control: SimulatorControl
) -> None:
    await control.add_fault("http_error", path="/api/v3/klines", status=429, count=1)

    with pytest.raises(ccxt.DDoSProtection):
        await binance.fetch_ohlcv("TST/USDT", "1m")

    assert last_code(binance) == -1003


async def test_latency_fault_when_longer_than_client_timeout_raises_request_timeout(
    make_binance: ClientFactory, control: SimulatorControl
) -> None:
    exchange = make_binance(timeout=300)
    await exchange.load_markets()
    await control.add_fault("latency", path="/api/v3/ticker/24hr", latency_ms=1500, count=1)

    with pytest.raises(ccxt.RequestTimeout):
        await exchange.fetch_ticker("TST/USDT")


async def test_drop_fault_when_connection_closed_raises_network_error(
    binance: Any, control: SimulatorControl
) -> None:
    # aiohttp silently retries an idempotent request once when a reused keep-alive connection
    # is dropped, so two drops are needed for ccxt to see one.
    await control.add_fault("drop", path="/api/v3/account", count=2)

    with pytest.raises(ccxt.NetworkError):
        await binance.fetch_balance()
    balance = await binance.fetch_balance()

    assert balance["USDT"]["free"] == 10000.0


@pytest.mark.parametrize(
    ("lost_as", "expected"), [("drop", ccxt.NetworkError), ("504", ccxt.RequestTimeout)]
)
async def test_response_lost_fault_when_order_sent_places_it_and_fetch_by_client_id_finds_it(
    binance: Any,
    control: SimulatorControl,
    lost_as: str,
    expected: type[Exception],
) -> None:
    await control.add_fault(
        "response_lost", path="/api/v3/order", method="POST", lost_as=lost_as, count=1
    )

    with pytest.raises(expected):
        await binance.create_order(
            "TST/USDT", "limit", "buy", 1, 95, {"clientOrderId": "lost-0001"}
        )
    found = await binance.fetch_order(None, "TST/USDT", {"clientOrderId": "lost-0001"})

    assert found["status"] == "open"
    assert [o["client_order_id"] for o in await control.orders()] == ["lost-0001"]


async def test_fault_with_probability_zero_when_requests_pass_never_fires(
    binance: Any, control: SimulatorControl
) -> None:
    rule = await control.add_fault("http_error", status=500, probability=0.0)

    await binance.fetch_ticker("TST/USDT")

    assert rule["fired"] == 0
    assert (await control.faults())[0]["fired"] == 0


async def test_control_api_when_token_missing_answers_401(sim: RunningSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.binance_url) as client:
        response = await client.get("/_sim/orders")

    assert response.status_code == 401


async def test_control_reset_when_called_restores_accounts_and_forgets_orders(
    binance: Any, control: SimulatorControl
) -> None:
    await binance.create_order("TST/USDT", "limit", "buy", 1, 95)

    await control.reset()
    balance = await binance.fetch_balance()

    assert await control.orders() == []
    assert balance["USDT"]["used"] == 0.0
