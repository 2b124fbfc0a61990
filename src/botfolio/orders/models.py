"""Order rows and their fills. The row (with its client order id) is committed before any request."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class OrderStatus(StrEnum):
    """Our lifecycle. SUBMITTING and UNKNOWN are in flight: only the venue can settle them."""

    NEW = "new"
    SUBMITTING = "submitting"
    UNKNOWN = "unknown"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    @property
    def is_in_flight(self) -> bool:
        return self in (OrderStatus.SUBMITTING, OrderStatus.UNKNOWN)


FINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("exchange_accounts.id"))
    bot_id: Mapped[str | None] = mapped_column(String(36))
    venue: Mapped[str] = mapped_column(String(50))
    client_order_id: Mapped[str] = mapped_column(String(36))
    venue_order_id: Mapped[str | None] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(50))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal]
    price: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.NEW.value)
    filled: Mapped[Decimal] = mapped_column(default=Decimal(0))
    average_price: Mapped[Decimal | None]
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fee_asset: Mapped[str | None] = mapped_column(String(20))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    submit_attempts: Mapped[int] = mapped_column(default=0)
    last_submit_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_orders_account_client_order_id"),
        Index("ix_orders_status", "status"),
        Index("ix_orders_bot_id_created_at", "bot_id", "created_at"),
    )


class OrderFill(Base):
    """One trade against one of our orders; (account, trade id) is unique, so fills apply once."""

    __tablename__ = "order_fills"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    account_id: Mapped[str] = mapped_column(String(36))
    trade_id: Mapped[str] = mapped_column(String(64))
    price: Mapped[Decimal]
    amount: Mapped[Decimal]
    fee: Mapped[Decimal]
    fee_asset: Mapped[str | None] = mapped_column(String(20))
    executed_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("account_id", "trade_id", name="uq_order_fills_account_trade_id"),
    )
