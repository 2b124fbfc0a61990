"""Order intents: the row, its audit event and its submit job, written in the caller's transaction.

Nothing leaves for the venue until that transaction commits; the submit job then carries the
stored client order id, so a retried tick re-finds the same row instead of placing another order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, ValidationFailedError
from botfolio.exchanges.models import ExchangeAccount
from botfolio.exchanges.port import ClientOrderId, OrderSide, OrderType
from botfolio.jobs.service import enqueue
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.repository import find_by_client_id, insert_order_unless_exists

SUBMIT_JOB = "orders.submit"


@dataclass(frozen=True)
class OrderIntent:
    client_order_id: ClientOrderId
    symbol: str
    side: OrderSide
    type: OrderType
    amount: Decimal
    price: Decimal | None = None
    bot_id: str | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValidationFailedError("order amount must be positive")
        if self.type is OrderType.LIMIT and (self.price is None or self.price <= 0):
            raise ValidationFailedError("a limit order needs a positive price")


async def place_order_intent(
    session: AsyncSession,
    clock: Clock,
    *,
    account: ExchangeAccount,
    intent: OrderIntent,
    actor: Actor,
) -> tuple[Order, bool]:
    """Write the order (status NEW) and its submit job. Returns (order, created).

    The same client order id on the same account returns the existing row: idempotent. The
    usual case is one INSERT .. ON CONFLICT DO NOTHING RETURNING, without a look-up first.
    """
    now = clock.now()
    order = await insert_order_unless_exists(
        session,
        {
            "id": new_id(),
            "account_id": account.id,
            "bot_id": intent.bot_id,
            "venue": account.venue,
            "client_order_id": intent.client_order_id,
            "symbol": intent.symbol,
            "side": intent.side.value,
            "type": intent.type.value,
            "amount": intent.amount,
            "price": intent.price,
            "status": OrderStatus.NEW.value,
            "filled": Decimal(0),
            "fee": Decimal(0),
            "submit_attempts": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    if order is None:
        return await _existing(session, account.id, intent.client_order_id), False
    await record_event(
        session,
        clock,
        actor=actor,
        action="order.created",
        target_type="order",
        target_id=order.id,
        details={  # the intent as given: the row's read-back Decimals are normalised
            "client_order_id": intent.client_order_id,
            "symbol": intent.symbol,
            "side": intent.side.value,
            "type": intent.type.value,
            "amount": str(intent.amount),
            "price": None if intent.price is None else str(intent.price),
            "bot_id": intent.bot_id,
        },
    )
    await enqueue(
        session,
        SUBMIT_JOB,
        {"order_id": order.id},
        idempotency_key=f"{SUBMIT_JOB}:{order.id}",
        clock=clock,
    )
    return order, True


async def _existing(session: AsyncSession, account_id: str, client_order_id: str) -> Order:
    existing = await find_by_client_id(session, account_id, client_order_id)
    if existing is None:  # pragma: no cover - the conflicting row is never deleted
        raise ConflictError(f"order {client_order_id} conflicted but cannot be found")
    return existing
