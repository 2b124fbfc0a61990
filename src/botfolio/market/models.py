"""Stored market data: candles per venue/symbol/timeframe, and the data-quality anomalies found."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class CandleRow(Base):
    """One closed candle; the natural key is the primary key, so re-imports upsert in place."""

    __tablename__ = "candles"

    venue: Mapped[str] = mapped_column(String(50), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(50), primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(10), primary_key=True)
    open_time: Mapped[datetime] = mapped_column(primary_key=True)
    open: Mapped[Decimal]
    high: Mapped[Decimal]
    low: Mapped[Decimal]
    close: Mapped[Decimal]
    volume: Mapped[Decimal]


class MarketAnomaly(Base):
    """A data-quality finding; one row per (series, moment, kind) so a re-check updates it."""

    __tablename__ = "market_anomalies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue: Mapped[str] = mapped_column(String(50))
    symbol: Mapped[str] = mapped_column(String(50))
    timeframe: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "venue",
            "symbol",
            "timeframe",
            "at",
            "kind",
            name="uq_market_anomalies_series_at_kind",
        ),
    )
