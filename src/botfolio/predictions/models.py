"""Registry tables: model versions and their transitions, stored predictions, queued requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from botfolio.db.base import Base


class ModelState(StrEnum):
    """candidate -> canary -> champion -> retired; a retired champion can be restored by rollback."""

    CANDIDATE = "candidate"
    CANARY = "canary"
    CHAMPION = "champion"
    RETIRED = "retired"


class RequestStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class ModelVersion(Base):
    """One trained artifact known to the registry. The sha256 pins the exact model text served."""

    __tablename__ = "model_versions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family: Mapped[str] = mapped_column(String(100))
    model_key: Mapped[str] = mapped_column(String(200))
    artifact_path: Mapped[str] = mapped_column(Text)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    feature_set: Mapped[str] = mapped_column(String(50))
    timeframe: Mapped[str] = mapped_column(String(10))
    horizon: Mapped[int] = mapped_column(Integer)
    symbols: Mapped[list[str]] = mapped_column(JSON)
    data_start: Mapped[str] = mapped_column(String(40))
    data_end: Mapped[str] = mapped_column(String(40))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    canary_share: Mapped[float] = mapped_column(Float, default=0.0)
    previous_champion_id: Mapped[str | None] = mapped_column(String(36))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    promoted_by: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    promoted_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("state IN ('candidate', 'canary', 'champion', 'retired')", name="state"),
        CheckConstraint("canary_share >= 0 AND canary_share <= 1", name="canary_share_range"),
        Index("ix_model_versions_family_state", "family", "state"),
    )


class ModelTransition(Base):
    """One change of state, with who made it and why (the registry's history)."""

    __tablename__ = "model_transitions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    family: Mapped[str] = mapped_column(String(100))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime]

    __table_args__ = (Index("ix_model_transitions_family_at", "family", "at"),)


class RegistryHead(Base):
    """A counter per family, bumped by every transition: serving engines poll it to hot-reload."""

    __tablename__ = "model_registry_heads"

    family: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class StoredPrediction(Base):
    """A prediction as served, with the version that made it; `realised` is filled by scoring."""

    __tablename__ = "predictions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    model_version_id: Mapped[str] = mapped_column(ForeignKey("model_versions.id"))
    request_id: Mapped[str | None] = mapped_column(String(36))
    bot_id: Mapped[str | None] = mapped_column(String(36))
    venue: Mapped[str] = mapped_column(String(50))
    symbol: Mapped[str] = mapped_column(String(50))
    timeframe: Mapped[str] = mapped_column(String(10))
    horizon: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)
    made_at: Mapped[datetime]
    realised: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_predictions_version_scored_at", "model_version_id", "scored_at"),
        Index("ix_predictions_scored_at_as_of", "scored_at", "as_of"),
        Index("ix_predictions_request_id", "request_id"),
    )


class PredictionRequest(Base):
    """A request that could not be served at once: held (never answered stale) until completed."""

    __tablename__ = "prediction_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_key: Mapped[str] = mapped_column(String(200), unique=True)
    family: Mapped[str] = mapped_column(String(100))
    bot_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    venue: Mapped[str] = mapped_column(String(50))
    symbols: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    model_version_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    delay_notified_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'completed')", name="status"),
        Index("ix_prediction_requests_status_created_at", "status", "created_at"),
    )
