"""Trading states (global, per user, per bot) and the risk events (denials) users are shown."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class TradingStateRow(Base):
    """The current state of one scope; a scope without a row is ACTIVE. History is in the audit.

    `breach` is set when a loss limit halted the bot, and `reset_at` when a person last resumed
    it: the loss-limit baselines (peak and day-start equity) restart from that moment.
    """

    __tablename__ = "trading_states"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    scope_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    breach: Mapped[str | None] = mapped_column(String(30))
    changed_by: Mapped[str | None] = mapped_column(String(36))
    changed_at: Mapped[datetime]
    reset_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("scope", "scope_id", name="uq_trading_states_scope"),)


class RiskEvent(Base):
    """One denied order draft with the check that denied it and why."""

    __tablename__ = "risk_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bot_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    symbol: Mapped[str] = mapped_column(String(50))
    side: Mapped[str] = mapped_column(String(4))
    amount: Mapped[Decimal]
    check: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_risk_events_user_id_at", "user_id", "at"),
        Index("ix_risk_events_bot_id_at", "bot_id", "at"),
    )
