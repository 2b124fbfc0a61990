"""Bot definitions: what a user's bot trades, how it allocates, its limits and its state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class BotStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class BotMode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class Bot(Base):
    __tablename__ = "bots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    account_id: Mapped[str] = mapped_column(ForeignKey("exchange_accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    universe: Mapped[list[str]] = mapped_column(JSON)
    quote_asset: Mapped[str] = mapped_column(String(20))
    budget: Mapped[Decimal]
    timeframe: Mapped[str] = mapped_column(String(10))
    rebalance_every: Mapped[int] = mapped_column(default=1)
    model_family: Mapped[str] = mapped_column(String(50), default="default")
    allocation: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    risk_limits: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(10), default=BotMode.PAPER.value)
    allow_hotswap: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=BotStatus.CREATED.value)
    status_reason: Mapped[str | None] = mapped_column(Text)
    last_tick_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_bots_user_id", "user_id"),
        Index("ix_bots_status", "status"),
    )
