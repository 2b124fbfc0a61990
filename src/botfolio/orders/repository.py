"""All SQL about orders and fills.

The hot path of a submission (claim, record the venue's answer) uses single Core statements with
RETURNING instead of a locked SELECT plus an ORM flush: each statement saved is a round trip (and
on SQLite a thread hop) on every order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import RowMapping, Table, Update, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.db.ids import new_id
from botfolio.exchanges.port import Fill
from botfolio.orders.models import Order, OrderFill, OrderStatus

IN_FLIGHT = (OrderStatus.SUBMITTING.value, OrderStatus.UNKNOWN.value)
LIVE = (OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value)


@dataclass(frozen=True)
class ClaimedOrder:
    """What a claim returns: enough to send the order and to record the answer without a re-read.

    `submit_attempts` and `filled` are the row's values as the claim left them; the outcome is
    recorded with one guarded UPDATE while the row still holds exactly these values.
    """

    id: str
    account_id: str
    venue: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    amount: Decimal
    price: Decimal | None
    submit_attempts: int
    filled: Decimal


# Statements of the hot path, built once: each call then only binds parameters (no statement
# construction, and the compiled form is found in the cache by identity).
_orders = cast(Table, Order.__table__)
_NOW = bindparam("now", type_=_orders.c.updated_at.type)
_CLAIMED_COLUMNS = tuple(_orders.c[name] for name in ClaimedOrder.__dataclass_fields__)
_CLAIM_NEW = (
    update(_orders)
    .where(_orders.c.id == bindparam("order_id"), _orders.c.status == OrderStatus.NEW.value)
    .values(
        status=OrderStatus.SUBMITTING.value,
        submit_attempts=_orders.c.submit_attempts + 1,
        last_submit_at=_NOW,
        updated_at=_NOW,
    )
    .returning(*_CLAIMED_COLUMNS)
)


def _record_answer_statement(*, with_fill: bool) -> Update:
    """The guarded UPDATE of `record_answer_if_unchanged`, with or without the fill columns.

    Absent average price or fee asset arrive as NULL and keep the stored value (COALESCE).
    """
    c = _orders.c
    values: dict[str, Any] = {
        "status": bindparam("status", type_=c.status.type),
        "venue_order_id": bindparam("venue_order_id", type_=c.venue_order_id.type),
        "last_error": None,
        "updated_at": _NOW,
    }
    if with_fill:
        values |= {
            "filled": bindparam("filled", type_=c.filled.type),
            "fee": bindparam("fee", type_=c.fee.type),
            "average_price": func.coalesce(
                bindparam("average_price", type_=c.average_price.type), c.average_price
            ),
            "fee_asset": func.coalesce(bindparam("fee_asset", type_=c.fee_asset.type), c.fee_asset),
        }
    return (
        update(_orders)
        .where(
            c.id == bindparam("order_id"),
            c.status == OrderStatus.SUBMITTING.value,
            c.submit_attempts == bindparam("claimed_attempts", type_=c.submit_attempts.type),
            c.filled == bindparam("claimed_filled", type_=c.filled.type),
        )
        .values(**values)
        .returning(c.id)
    )


_RECORD_ANSWER = _record_answer_statement(with_fill=True)
_RECORD_STATUS = _record_answer_statement(with_fill=False)


def _claimed(row: RowMapping) -> ClaimedOrder:
    return ClaimedOrder(**row)


def claimed_from(order: Order) -> ClaimedOrder:
    """The same view of a row read (and locked) through the ORM: the slow, in-flight path."""
    return ClaimedOrder(
        **{name: getattr(order, name) for name in ClaimedOrder.__dataclass_fields__}
    )


async def get_order_for_update(session: AsyncSession, order_id: str) -> Order | None:
    """The row, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE
    already holds the write lock)."""
    stmt = select(Order).where(Order.id == order_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_new_order(
    session: AsyncSession, order_id: str, now: datetime
) -> ClaimedOrder | None:
    """NEW -> SUBMITTING in one statement; None when the row is not NEW (or does not exist).

    The status condition in the WHERE clause is the lock: on PostgreSQL a concurrent claimant
    waits for the row and then re-checks it, finding it SUBMITTING; SQLite serialises writers.
    """
    result = await session.execute(_CLAIM_NEW, {"order_id": order_id, "now": now})
    row = result.mappings().first()
    return None if row is None else _claimed(row)


async def record_answer_if_unchanged(
    session: AsyncSession, claimed: ClaimedOrder, values: dict[str, Any]
) -> bool:
    """Write `values` (from `outcomes.report_values`) while the row is exactly as our claim left it.

    SUBMITTING with the claim's attempt number and filled quantity means nobody (reconciliation,
    a cancel, a later claim) has written it since; any such write changes one of the three.
    False when the row moved on: the caller then takes the locked read-modify-write path.
    """
    with_fill = "filled" in values
    params = {
        "order_id": claimed.id,
        "claimed_attempts": claimed.submit_attempts,
        "claimed_filled": claimed.filled,
        "status": values["status"],
        "venue_order_id": values["venue_order_id"],
        "now": values["updated_at"],
    }
    if with_fill:
        params |= {
            "filled": values["filled"],
            "fee": values["fee"],
            "average_price": values.get("average_price"),
            "fee_asset": values.get("fee_asset"),
        }
    statement = _RECORD_ANSWER if with_fill else _RECORD_STATUS
    return (await session.execute(statement, params)).first() is not None


async def insert_order_unless_exists(session: AsyncSession, values: dict[str, Any]) -> Order | None:
    """INSERT .. ON CONFLICT (account, client order id) DO NOTHING; None when it already exists.

    One statement for the usual case (a new client order id); a retried tick finds the conflict
    and reads the existing row. On PostgreSQL a concurrent insert of the same id waits for the
    other transaction and then yields to it; on SQLite the write lock taken at BEGIN serialises
    the two.
    """
    statement = _INSERT_ORDER[session.get_bind().dialect.name]
    return (await session.scalars(statement, [values])).one_or_none()


def _insert_order_statement(dialect_insert: Any) -> Any:
    """Built once per dialect; the row comes as an ORM bulk parameter set, which skips building
    and caching a new statement per order."""
    return (
        dialect_insert(Order)
        .on_conflict_do_nothing(index_elements=[Order.account_id, Order.client_order_id])
        .returning(Order)
    )


_INSERT_ORDER = {
    "postgresql": _insert_order_statement(postgresql.insert),
    "sqlite": _insert_order_statement(sqlite.insert),
}


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
    session: AsyncSession, order: Order | ClaimedOrder, fill: Fill, recorded_at: datetime
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
