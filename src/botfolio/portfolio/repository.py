"""Portfolio SQL: owned orders and bots, a bot's fills, mark prices and equity snapshots.

Ownership goes through `orders.account_id -> exchange_accounts.user_id`, so a user only ever
reaches orders (and the bots behind them) of their own accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, String, column, select, table, union
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import OrderSide
from botfolio.market.models import CandleRow
from botfolio.orders.models import Order, OrderFill
from botfolio.portfolio.ledger import LedgerFill
from botfolio.portfolio.models import EquitySnapshot


@dataclass(frozen=True)
class OrderFilters:
    bot_id: str | None = None
    symbol: str | None = None
    status: str | None = None
    since: datetime | None = None


def _owned_orders(user_id: str) -> Select[Order]:
    owned_accounts = select(ExchangeAccount.id).where(ExchangeAccount.user_id == user_id)
    return select(Order).where(Order.account_id.in_(owned_accounts))


async def list_owned_orders(
    session: AsyncSession, user_id: str, filters: OrderFilters, *, limit: int, offset: int
) -> Sequence[Order]:
    statement = _owned_orders(user_id)
    if filters.bot_id is not None:
        statement = statement.where(Order.bot_id == filters.bot_id)
    if filters.symbol is not None:
        statement = statement.where(Order.symbol == filters.symbol)
    if filters.status is not None:
        statement = statement.where(Order.status == filters.status)
    if filters.since is not None:
        statement = statement.where(Order.created_at >= filters.since)
    statement = statement.order_by(Order.created_at.desc(), Order.id.desc())
    return (await session.execute(statement.limit(limit).offset(offset))).scalars().all()


# The bots domain sits above this one in the layers, so its table is named, not imported.
_bots = table("bots", column("id", String), column("user_id", String))


async def list_owned_bot_ids(
    session: AsyncSession, user_id: str, *, bot_id: str | None, limit: int, offset: int
) -> list[str]:
    """The user's bots (`bots.user_id`) and any bot behind an order of the user's accounts."""
    traded = (
        _owned_orders(user_id)
        .where(Order.bot_id.is_not(None))
        .with_only_columns(Order.bot_id.label("bot_id"))
    )
    defined = select(_bots.c.id.label("bot_id")).where(_bots.c.user_id == user_id)
    owned = union(traded, defined).subquery()
    statement = select(owned.c.bot_id)
    if bot_id is not None:
        statement = statement.where(owned.c.bot_id == bot_id)
    statement = statement.order_by(owned.c.bot_id).limit(limit).offset(offset)
    return [r for r in (await session.execute(statement)).scalars().all() if r is not None]


async def bot_fills(session: AsyncSession, bot_id: str) -> list[LedgerFill]:
    """Every fill of the bot's orders, oldest first (the order the ledger must see them in)."""
    statement = (
        select(
            Order.symbol,
            Order.side,
            OrderFill.price,
            OrderFill.amount,
            OrderFill.fee,
            OrderFill.fee_asset,
        )
        .join(Order, Order.id == OrderFill.order_id)
        .where(Order.bot_id == bot_id)
        .order_by(OrderFill.executed_at, OrderFill.id)
    )
    rows = (await session.execute(statement)).all()
    return [
        LedgerFill(symbol, OrderSide(side), price, amount, fee, fee_asset)
        for symbol, side, price, amount, fee, fee_asset in rows
    ]


async def bot_venue(session: AsyncSession, bot_id: str) -> str | None:
    statement = select(Order.venue).where(Order.bot_id == bot_id).limit(1)
    return (await session.execute(statement)).scalar_one_or_none()


async def mark_price(session: AsyncSession, venue: str | None, symbol: str) -> Decimal | None:
    """The latest candle close for the symbol on the venue, else its latest fill price."""
    candle = (
        select(CandleRow.close)
        .where(CandleRow.venue == venue, CandleRow.symbol == symbol)
        .order_by(CandleRow.open_time.desc())
        .limit(1)
    )
    price = (await session.execute(candle)).scalar_one_or_none()
    if price is not None:
        return price
    fill = (
        select(OrderFill.price)
        .join(Order, Order.id == OrderFill.order_id)
        .where(Order.symbol == symbol)
        .order_by(OrderFill.executed_at.desc())
        .limit(1)
    )
    return (await session.execute(fill)).scalar_one_or_none()


async def latest_snapshot(session: AsyncSession, bot_id: str) -> EquitySnapshot | None:
    statement = (
        select(EquitySnapshot)
        .where(EquitySnapshot.bot_id == bot_id)
        .order_by(EquitySnapshot.at.desc(), EquitySnapshot.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def equity_series(
    session: AsyncSession, bot_id: str, *, since: datetime | None, limit: int
) -> list[EquitySnapshot]:
    """The latest `limit` snapshots (from `since`), returned oldest first."""
    statement = select(EquitySnapshot).where(EquitySnapshot.bot_id == bot_id)
    if since is not None:
        statement = statement.where(EquitySnapshot.at >= since)
    statement = statement.order_by(EquitySnapshot.at.desc(), EquitySnapshot.id.desc()).limit(limit)
    return list(reversed((await session.execute(statement)).scalars().all()))
