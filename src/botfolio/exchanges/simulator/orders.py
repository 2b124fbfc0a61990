"""Orders and fills as the simulated venue keeps them (venue-neutral; dialects format them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderKind(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A new order as the dialect parsed it; `quantity` or `quote_quantity` must be set."""

    symbol: str
    side: Side
    kind: OrderKind
    client_order_id: str
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: int
    order_id: int
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    commission: Decimal
    commission_asset: str
    time: datetime
    is_maker: bool


@dataclass(slots=True)
class Order:
    order_id: int
    uuid: str
    api_key: str
    symbol: str
    client_order_id: str
    side: Side
    kind: OrderKind
    time_in_force: TimeInForce
    price: Decimal | None
    quantity: Decimal
    quote_quantity: Decimal | None
    created_at: datetime
    updated_at: datetime
    status: OrderStatus = OrderStatus.NEW
    executed_quantity: Decimal = Decimal("0")
    cumulative_quote: Decimal = Decimal("0")
    locked: Decimal = Decimal("0")
    fills: list[Fill] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.executed_quantity

    @property
    def paid_fee(self) -> Decimal:
        return sum((f.commission for f in self.fills), Decimal("0"))
