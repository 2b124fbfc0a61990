"""Notification tables: per-user channels and settings, the outbox of notifications, attempts.

A notification row is the outbox entry AND the delivery state machine: which channels it will try
(`plan`), where it is (`plan_index`, `channel_attempts`, `step`), when it is due
(`next_attempt_at`), which dispatcher holds it (`lease_owner` until `lease_expires_at`), and how
it ended. Every send is
one `notification_attempts` row, so the delivery history is complete even across worker crashes.
Destinations (addresses, phone numbers, webhook URLs) are encrypted, bound to the channel row.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base
from botfolio.security.registry import register_encrypted_column

ID = String(36)


class ChannelKind(StrEnum):
    EMAIL = "email"
    SLACK = "slack"
    TELEGRAM = "telegram"
    SMS = "sms"
    WEBHOOK = "webhook"
    IN_APP = "in_app"


class NotificationStatus(StrEnum):
    """queued -> delivered | dead. `step` counts the delivery steps taken."""

    QUEUED = "queued"
    DELIVERED = "delivered"
    DEAD = "dead"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"  # channel unusable at send time (consent withdrawn, disabled, removed)


class NotificationChannel(Base):
    """One way to reach a user. `position` is the fallback order (lowest first).

    `consent_at` is the explicit opt-in; a channel without it is never used, whatever its
    position (SMS and push above all). Withdrawing consent sets it back to NULL.
    """

    __tablename__ = "notification_channels"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100))
    destination_encrypted: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_notification_channels_user_id_position", "user_id", "position"),
        CheckConstraint(
            "kind IN ('email', 'slack', 'telegram', 'sms', 'webhook', 'in_app')", name="kind"
        ),
    )


class NotificationProfile(Base):
    """A user's notification settings: language and the events they only want in-app."""

    __tablename__ = "notification_profiles"

    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    in_app_only_events: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID)
    event: Mapped[str] = mapped_column(String(60))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel_kinds: Mapped[list[str] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    plan: Mapped[list[str] | None] = mapped_column(JSON)
    plan_index: Mapped[int] = mapped_column(Integer, default=0)
    channel_attempts: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    delivered_channel: Mapped[str | None] = mapped_column(String(20))
    delivered_at: Mapped[datetime | None]
    dead_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    alert_id: Mapped[str | None] = mapped_column(ID)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("status IN ('queued', 'delivered', 'dead')", name="status"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        Index("ix_notifications_status_created_at", "status", "created_at"),
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    )


class NotificationAttempt(Base):
    __tablename__ = "notification_attempts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    notification_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    step: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str | None] = mapped_column(ID)
    channel_kind: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float)
    worker_id: Mapped[str | None] = mapped_column(String(100))
    attempted_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_notification_attempts_notification_id", "notification_id"),
        Index("ix_notification_attempts_user_id_attempted_at", "user_id", "attempted_at"),
        Index("ix_notification_attempts_outcome_attempted_at", "outcome", "attempted_at"),
    )


DESTINATION_COLUMN = register_encrypted_column("notification_channels", "destination_encrypted")
