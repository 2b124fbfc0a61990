"""Operator alert tables: alerts grouped by fingerprint, and the on-call rota.

`open_fingerprint` equals `fingerprint` while the alert is unresolved and is NULL afterwards; its
unique constraint makes "one open alert per fingerprint" hold under concurrent raisers on both
databases (NULLs never collide), so a repeat of the same problem bumps `occurrences` instead.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base

ID = String(36)


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    rule: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(10))
    fingerprint: Mapped[str] = mapped_column(String(200))
    open_fingerprint: Mapped[str | None] = mapped_column(String(200), unique=True)
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    level_since: Mapped[datetime | None]
    paged_user_id: Mapped[str | None] = mapped_column(ID)
    pages_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_paged_at: Mapped[datetime | None]
    next_page_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(ID)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(ID)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("severity IN ('critical', 'warning', 'info')", name="severity"),
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status"),
        Index("ix_alerts_status_next_page_at", "status", "next_page_at"),
        Index("ix_alerts_fingerprint", "fingerprint"),
    )


class OncallShift(Base):
    """Who answers pages when: `level` 0 is the primary; escalation walks up the levels."""

    __tablename__ = "oncall_shifts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    level: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("level >= 0", name="level_not_negative"),
        Index("ix_oncall_shifts_starts_at_ends_at", "starts_at", "ends_at"),
    )
