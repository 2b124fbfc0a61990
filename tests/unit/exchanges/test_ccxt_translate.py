"""CCXT errors become our taxonomy: REJECTED only when the venue's reply proves it."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from botfolio.exchanges.ccxt_translate import (
    parse_order,
    translate_read_error,
    translate_submit_error,
)
from botfolio.exchanges.errors import (
    CredentialsRejectedError,
    OrderNotFoundOnVenueError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RejectReason,
    VenueRateLimitedError,
    VenueUnavailableError,
)
from botfolio.exchanges.port import VenueOrderStatus

BINANCE_2015 = 'binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        (ccxt.RequestTimeout("timeout"), OrderOutcomeUnknownError),
        (ccxt.ExchangeNotAvailable("503"), OrderOutcomeUnknownError),
        (ccxt.DDoSProtection("429"), OrderOutcomeUnknownError),
        (ccxt.InvalidNonce('{"code":-1021}'), OrderOutcomeUnknownError),
        (ccxt.InsufficientFunds("Account has insufficient balance"), OrderRejectedError),
        (ccxt.InvalidOrder('{"code":-1013,"msg":"Filter failure: LOT_SIZE"}'), OrderRejectedError),
        (ccxt.AuthenticationError('{"code":-1022}'), CredentialsRejectedError),
        (ccxt.DDoSProtection(BINANCE_2015), CredentialsRejectedError),
    ],
)
def test_submit_error_when_vendor_raises_maps_by_proof_of_outcome(
    vendor: Exception, expected: type[Exception]
) -> None:
    assert isinstance(translate_submit_error(vendor, "binance"), expected)


def test_submit_error_when_duplicate_client_id_is_a_distinct_reject_reason() -> None:
    mapped = translate_submit_error(
        ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'), "binance"
    )
    assert isinstance(mapped, OrderRejectedError)
    assert mapped.reason is RejectReason.DUPLICATE_CLIENT_ORDER_ID


def test_submit_error_when_insufficient_funds_carries_reason() -> None:
    mapped = translate_submit_error(ccxt.InsufficientFunds("no money"), "binance")
    assert isinstance(mapped, OrderRejectedError)
    assert mapped.reason is RejectReason.INSUFFICIENT_FUNDS


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        (ccxt.OrderNotFound("-2013"), OrderNotFoundOnVenueError),
        (ccxt.RateLimitExceeded("-1003"), VenueRateLimitedError),
        (ccxt.RequestTimeout("t"), VenueUnavailableError),
        (ccxt.DDoSProtection(BINANCE_2015), CredentialsRejectedError),
    ],
)
def test_read_error_when_vendor_raises_maps_to_reaction(
    vendor: Exception, expected: type[Exception]
) -> None:
    assert isinstance(translate_read_error(vendor, "binance"), expected)


def test_parse_order_when_open_with_fills_is_partially_filled_in_decimal() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    report = parse_order(
        {
            "id": "42",
            "clientOrderId": "bf-1",
            "symbol": "ETH/BTC",
            "side": "buy",
            "type": "limit",
            "status": "open",
            "amount": 0.3,
            "filled": 0.1,
            "price": 0.05123,
            "average": 0.05123,
            "fee": {"cost": 0.0001, "currency": "ETH"},
            "timestamp": 1_700_000_000_000,
        },
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert report.status is VenueOrderStatus.PARTIALLY_FILLED
    assert report.remaining == Decimal("0.2")
    assert report.price == Decimal("0.05123")
