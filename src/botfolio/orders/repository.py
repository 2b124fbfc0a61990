"""All SQL about orders and fills."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.db.ids import new_id
from botfolio.exchanges.port import Fill
from botfolio.orders.models import Order, OrderFill, OrderStatus

IN_FLIGHT = (OrderStatus.SUBMITTING.value, OrderStatus.UNKNOWN.value)
LIVE = (OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value)


async def get_order_for_update(session: AsyncSession, order_id: str) -> Order | None:
    """The row, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already holds the write lock)."""
    stmt = select(Order).where(Order.id == order_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_by_client_id(
    session: AsyncSession, account_id: str, client_order_id: str
) -> Order | None:
    stmt = select(Order).where(
        Order.account_id == account_id, Order.client_order_id == client_order_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def orders_to_reconcile(session: AsyncSession, account_id: str) -> Sequence[Order]:
    stmt = (
        select(Order)
        .where(Order.account_id == account_id, Order.status.in_(IN_FLIGHT + LIVE))
        .order_by(Order.created_at)
    )
    return (await session.execute(stmt)).scalars().all()


async def known_client_ids(session: AsyncSession, account_id: str) -> set[str]:
    stmt = select(Order.client_order_id).where(Order.account_id == account_id)
    return set((await session.execute(stmt)).scalars().all())


async def add_fill_once(
    session: AsyncSession, order: Order, fill: Fill, recorded_at: datetime
) -> bool:
    """Insert the fill unless this (account, trade id) is already stored; True if inserted."""
    exists = await session.execute(
        select(OrderFill.id).where(
            OrderFill.account_id == order.account_id, OrderFill.trade_id == fill.trade_id
        )
    )
    if exists.first() is not None:
        return False
    session.add(
        OrderFill(
            id=new_id(),
            order_id=order.id,
            account_id=order.account_id,
            trade_id=fill.trade_id,
            price=fill.price,
            amount=fill.amount,
            fee=fill.fee,
            fee_asset=fill.fee_asset,
            executed_at=fill.at or recorded_at,
        )
    )
    return True
