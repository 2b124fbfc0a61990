"""Linked exchange accounts (keys encrypted), per-venue breaker state and the incident history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base
from botfolio.security.registry import register_encrypted_column


class ExchangeAccount(Base):
    """A user's API key on one venue. The key and secret are stored only encrypted
    (FieldCipher, bound to this row) and are never returned by the API."""

    __tablename__ = "exchange_accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    venue: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(String(100))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    api_secret_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    trading_blocked_reason: Mapped[str | None] = mapped_column(Text)
    last_checked_at: Mapped[datetime | None]
    last_latency_ms: Mapped[float | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ExchangeIncident(Base):
    """One entry of the failure history administrators list: failure runs, breaker changes,
    HotSwap switches, credential rejections."""

    __tablename__ = "exchange_incidents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    account_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime]

    __table_args__ = (Index("ix_exchange_incidents_venue_occurred_at", "venue", "occurred_at"),)


API_KEY_COLUMN = register_encrypted_column("exchange_accounts", "api_key_encrypted")
API_SECRET_COLUMN = register_encrypted_column("exchange_accounts", "api_secret_encrypted")
