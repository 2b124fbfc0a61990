"""Vendor errors and wire formats from CCXT, translated into our taxonomy and typed reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt

from botfolio.exchanges.errors import (
    CredentialsRejectedError,
    OrderNotFoundOnVenueError,
    OrderOutcomeUnknownError,
    OrderRejectedError,
    RejectReason,
    VenueRateLimitedError,
    VenueUnavailableError,
)
from botfolio.exchanges.port import (
    Candle,
    ClientOrderId,
    Fill,
    Market,
    OrderReport,
    OrderSide,
    OrderType,
    Ticker,
    VenueOrderId,
    VenueOrderStatus,
)

# Binance answers -2015 for a revoked/expired key; ccxt maps it to DDoSProtection after a
# successful signed call on the same client (field notes), so the body code decides.
_CREDENTIAL_CODES = re.compile(
    r'"code"\s*:\s*-(2014|2015|1022)\b|invalid_access_key|jwt_verification'
)
_DUPLICATE = re.compile(r"Duplicate order", re.IGNORECASE)


def translate_read_error(exc: ccxt.BaseError, venue: str) -> Exception:
    """An error from a call that changes nothing on the venue (reads, cancels' follow-ups)."""
    text = f"{venue}: {exc}"
    if _CREDENTIAL_CODES.search(str(exc)) or isinstance(exc, ccxt.AuthenticationError):
        return CredentialsRejectedError(text)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFoundOnVenueError(text)
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return VenueRateLimitedError(text)
    if isinstance(exc, ccxt.NetworkError):
        return VenueUnavailableError(text)
    if isinstance(exc, ccxt.InvalidOrder):
        return OrderRejectedError(text, RejectReason.INVALID_ORDER)
    return VenueUnavailableError(text)


def translate_submit_error(exc: ccxt.BaseError, venue: str) -> Exception:
    """An error from placing an order: REJECTED only where the venue's reply proves it.

    Timeouts, 5xx, transport errors and rate-limit answers leave the outcome UNKNOWN: the order
    may exist, and only asking the venue for its client order id settles it.
    """
    text = f"{venue}: {exc}"
    if _CREDENTIAL_CODES.search(str(exc)) or isinstance(exc, ccxt.AuthenticationError):
        return CredentialsRejectedError(text)
    if isinstance(exc, ccxt.NetworkError):
        return OrderOutcomeUnknownError(text)
    if _DUPLICATE.search(str(exc)):
        return OrderRejectedError(text, RejectReason.DUPLICATE_CLIENT_ORDER_ID)
    if isinstance(exc, ccxt.InsufficientFunds):
        return OrderRejectedError(text, RejectReason.INSUFFICIENT_FUNDS)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.BadSymbol):
        return OrderRejectedError(text, RejectReason.INVALID_ORDER)
    if isinstance(exc, ccxt.OperationRejected):
        return OrderRejectedError(text, RejectReason.OTHER)
    return OrderOutcomeUnknownError(text)


def dec(value: Any) -> Decimal:
    """CCXT hands out floats parsed from the venue's decimal strings; repr round-trips them."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value))


def opt_dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def from_millis(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


_STATUS = {
    "open": VenueOrderStatus.OPEN,
    "closed": VenueOrderStatus.FILLED,
    "canceled": VenueOrderStatus.CANCELED,
    "cancelled": VenueOrderStatus.CANCELED,
    "rejected": VenueOrderStatus.REJECTED,
    "expired": VenueOrderStatus.EXPIRED,
}


def parse_order(raw: dict[str, Any], fallback_time: datetime) -> OrderReport:
    status = _STATUS.get(str(raw.get("status")), VenueOrderStatus.OPEN)
    amount, filled = dec(raw.get("amount")), dec(raw.get("filled"))
    if status is VenueOrderStatus.OPEN and filled > 0:
        status = VenueOrderStatus.PARTIALLY_FILLED
    fee = raw.get("fee") or {}
    stamp = raw.get("lastUpdateTimestamp") or raw.get("lastTradeTimestamp") or raw.get("timestamp")
    return OrderReport(
        client_order_id=ClientOrderId(raw["clientOrderId"]) if raw.get("clientOrderId") else None,
        venue_order_id=VenueOrderId(str(raw["id"])),
        symbol=raw["symbol"],
        side=OrderSide(raw["side"]),
        type=OrderType(raw["type"]) if raw.get("type") in ("market", "limit") else OrderType.LIMIT,
        status=status,
        amount=amount,
        filled=filled,
        price=opt_dec(raw.get("price")),
        average_price=opt_dec(raw.get("average")),
        fee=dec(fee.get("cost")),
        fee_asset=fee.get("currency"),
        updated_at=from_millis(stamp) if stamp else fallback_time,
        fills=_order_fills(raw, fallback_time),
    )


def _order_fills(raw: dict[str, Any], fallback_time: datetime) -> tuple[Fill, ...]:
    """The trades a venue returns with the order itself (Binance's FULL response `fills`)."""
    fills = []
    for n, trade in enumerate(raw.get("trades") or []):
        fee = trade.get("fee") or {}
        stamp = trade.get("timestamp") or raw.get("timestamp")
        trade_id = trade.get("id") or f"{raw['id']}-{n}"
        fills.append(
            Fill(
                trade_id=str(trade_id),
                client_order_id=ClientOrderId(raw["clientOrderId"])
                if raw.get("clientOrderId")
                else None,
                venue_order_id=VenueOrderId(str(raw["id"])),
                symbol=raw["symbol"],
                side=OrderSide(raw["side"]),
                price=dec(trade.get("price")),
                amount=dec(trade.get("amount")),
                fee=dec(fee.get("cost")),
                fee_asset=fee.get("currency"),
                at=from_millis(stamp) if stamp else fallback_time,
            )
        )
    return tuple(fills)


def parse_trade(raw: dict[str, Any]) -> Fill:
    fee = raw.get("fee") or {}
    client_id = (raw.get("info") or {}).get("clientOrderId")
    return Fill(
        trade_id=str(raw["id"]),
        client_order_id=ClientOrderId(client_id) if client_id else None,
        venue_order_id=VenueOrderId(str(raw["order"])),
        symbol=raw["symbol"],
        side=OrderSide(raw["side"]),
        price=dec(raw["price"]),
        amount=dec(raw["amount"]),
        fee=dec(fee.get("cost")),
        fee_asset=fee.get("currency"),
        at=from_millis(raw["timestamp"]),
    )


def parse_market(raw: dict[str, Any]) -> Market:
    precision = raw.get("precision") or {}
    limits = raw.get("limits") or {}
    return Market(
        symbol=raw["symbol"],
        base=raw["base"],
        quote=raw["quote"],
        price_tick=dec(precision.get("price") or "0.00000001"),
        amount_step=dec(precision.get("amount") or "0.00000001"),
        min_amount=dec((limits.get("amount") or {}).get("min")),
        min_notional=dec((limits.get("cost") or {}).get("min")),
        active=raw.get("active") is not False,
    )


def parse_candle(row: list[Any]) -> Candle:
    return Candle(
        open_time=from_millis(row[0]),
        open=dec(row[1]),
        high=dec(row[2]),
        low=dec(row[3]),
        close=dec(row[4]),
        volume=dec(row[5]),
    )


def parse_ticker(raw: dict[str, Any], fallback_time: datetime) -> Ticker:
    stamp = raw.get("timestamp")
    return Ticker(
        symbol=raw["symbol"],
        last=dec(raw.get("last") or raw.get("close")),
        bid=opt_dec(raw.get("bid")),
        ask=opt_dec(raw.get("ask")),
        at=from_millis(stamp) if stamp else fallback_time,
    )
