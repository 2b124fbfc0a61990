"""The equity time series per bot, in its quote currency, written by each tick."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class EquitySnapshot(Base):
    __tablename__ = "equity_snapshots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime]
    equity: Mapped[Decimal]
    cash: Mapped[Decimal]
    positions_value: Mapped[Decimal]
    peak_equity: Mapped[Decimal]

    __table_args__ = (Index("ix_equity_snapshots_bot_id_at", "bot_id", "at"),)
