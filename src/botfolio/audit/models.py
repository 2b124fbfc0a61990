"""Audit events: one row per state change that matters, chained by SHA-256 to the previous row.

Two small companion tables keep the chain verifiable over its whole life:
- `audit_chain_head` (one row) holds the id and hash of the newest event, written with every
  append, so deleting the newest rows (tail truncation) is detected;
- `audit_checkpoints` holds one row per retention purge: every event up to `through_id` was
  deleted on purpose and `through_hash` was the hash of that last deleted event, so verification
  starts right after it while a deletion anywhere else still shows as a gap.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base

CHAIN_HEAD_ROW_ID = 1


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    occurred_at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(64))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_actor_id", "actor_id"),
    )


class AuditChainHead(Base):
    """The newest event of the chain; survives retention purges, unlike the event rows."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class AuditCheckpoint(Base):
    """One retention purge: the events up to `through_id` were deleted on purpose."""

    __tablename__ = "audit_checkpoints"

    through_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    )
    through_hash: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime]
    events_deleted: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
