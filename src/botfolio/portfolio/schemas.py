"""Response bodies of the portfolio and orders routes (Decimals go out as exact strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class OrderOut(BaseModel):
    id: str
    bot_id: str | None
    account_id: str
    venue: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    amount: Decimal
    price: Decimal | None
    status: str
    filled: Decimal
    average_price: Decimal | None
    fee: Decimal
    fee_asset: str | None
    reject_reason: str | None
    created_at: datetime
    updated_at: datetime


class OrdersPage(BaseModel):
    items: list[OrderOut]
    limit: int
    offset: int
    next_offset: int | None


class PositionOut(BaseModel):
    symbol: str
    quantity: Decimal
    average_cost: Decimal
    cost: Decimal
    mark_price: Decimal | None
    value: Decimal | None
    unrealised_pnl: Decimal | None


class EquityPointOut(BaseModel):
    at: datetime
    equity: Decimal
    cash: Decimal
    positions_value: Decimal
    peak_equity: Decimal


class BotPortfolioOut(BaseModel):
    bot_id: str
    positions: list[PositionOut]
    net_cash_flow: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    fees_in_quote: Decimal
    other_fees: dict[str, Decimal]
    equity_series: list[EquityPointOut]


class PortfolioPage(BaseModel):
    bots: list[BotPortfolioOut]
    limit: int
    offset: int
    next_offset: int | None
