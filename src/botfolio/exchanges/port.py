"""The exchange gateway port: explicit commands in, typed reports out (Decimal, aware UTC).

Wire formats are parsed inside the adapters and never reach the domain. Every adapter translates
its vendor's errors into `botfolio.exchanges.errors` at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NewType, Protocol

ClientOrderId = NewType("ClientOrderId", str)
VenueOrderId = NewType("VenueOrderId", str)


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class VenueOrderStatus(StrEnum):
    """What the venue says about an order; our own lifecycle lives in the orders domain."""

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in {
            VenueOrderStatus.FILLED,
            VenueOrderStatus.CANCELED,
            VenueOrderStatus.REJECTED,
            VenueOrderStatus.EXPIRED,
        }


@dataclass(frozen=True)
class VenueCapabilities:
    """What a venue supports, declared per adapter (Freqtrade's `_ft_has`, Nautilus' templates)."""

    fetch_order_by_client_id: bool = True
    cancel_by_client_id: bool = True
    market_orders: bool = True
    limit_orders: bool = True
    my_trades: bool = True
    max_candles_per_request: int = 1000
    client_order_id_max_length: int = 36


@dataclass(frozen=True)
class Market:
    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    amount_step: Decimal
    min_amount: Decimal
    min_notional: Decimal
    active: bool = True


@dataclass(frozen=True)
class Candle:
    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True)
class Ticker:
    symbol: str
    last: Decimal
    bid: Decimal | None
    ask: Decimal | None
    at: datetime


@dataclass(frozen=True)
class Balance:
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True)
class SubmitOrder:
    """Command: place one order under our deterministic client order id."""

    client_order_id: ClientOrderId
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("order amount must be positive")
        if self.type is OrderType.LIMIT and (self.price is None or self.price <= 0):
            raise ValueError("a limit order needs a positive price")


@dataclass(frozen=True)
class Fill:
    trade_id: str
    client_order_id: ClientOrderId | None
    venue_order_id: VenueOrderId
    symbol: str
    side: OrderSide
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_asset: str | None
    at: datetime


@dataclass(frozen=True)
class OrderReport:
    """Report: the venue's view of one order."""

    client_order_id: ClientOrderId | None
    venue_order_id: VenueOrderId
    symbol: str
    side: OrderSide
    type: OrderType
    status: VenueOrderStatus
    amount: Decimal
    filled: Decimal
    price: Decimal | None
    average_price: Decimal | None
    fee: Decimal
    fee_asset: str | None
    updated_at: datetime
    fills: tuple[Fill, ...] = field(default=())

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled


class ExchangeGateway(Protocol):
    """One venue account. Adapters: CCXT (real venues and the simulator) and paper."""

    venue: str
    capabilities: VenueCapabilities

    async def load_markets(self) -> dict[str, Market]: ...

    async def fetch_candles(
        self, symbol: str, timeframe: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Candle]: ...

    async def fetch_ticker(self, symbol: str) -> Ticker: ...

    async def fetch_balances(self) -> dict[str, Balance]: ...

    async def create_order(self, command: SubmitOrder) -> OrderReport: ...

    async def cancel_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport: ...

    async def fetch_order(self, client_order_id: ClientOrderId, symbol: str) -> OrderReport: ...

    async def fetch_open_orders(self, symbol: str | None = None) -> list[OrderReport]: ...

    async def fetch_my_trades(
        self, symbol: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Fill]: ...

    async def close(self) -> None: ...
