"""Request and response bodies of the `/v1/admin/models` routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from botfolio.predictions.models import ModelTransition, ModelVersion
from botfolio.predictions.serving_config import DEFAULT_FAMILY


class ModelVersionView(BaseModel):
    id: str
    family: str
    model_key: str
    state: str
    canary_share: float
    artifact_sha256: str
    feature_set: str
    timeframe: str
    horizon: int
    symbols: list[str]
    data_start: str
    data_end: str
    holdout: dict[str, Any]
    previous_champion_id: str | None
    forced: bool
    promoted_by: str | None
    created_at: datetime
    promoted_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, version: ModelVersion) -> ModelVersionView:
        holdout = version.metrics.get("holdout", {})
        return cls(
            id=version.id,
            family=version.family,
            model_key=version.model_key,
            state=version.state,
            canary_share=version.canary_share,
            artifact_sha256=version.artifact_sha256,
            feature_set=version.feature_set,
            timeframe=version.timeframe,
            horizon=version.horizon,
            symbols=list(version.symbols),
            data_start=version.data_start,
            data_end=version.data_end,
            holdout=holdout if isinstance(holdout, dict) else {},
            previous_champion_id=version.previous_champion_id,
            forced=version.forced,
            promoted_by=version.promoted_by,
            created_at=version.created_at,
            promoted_at=version.promoted_at,
            retired_at=version.retired_at,
        )


class TransitionView(BaseModel):
    id: str
    model_version_id: str
    family: str
    from_state: str | None
    to_state: str
    trigger: str
    reason: str
    actor_id: str | None
    forced: bool
    details: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, step: ModelTransition) -> TransitionView:
        return cls(
            id=step.id,
            model_version_id=step.model_version_id,
            family=step.family,
            from_state=step.from_state,
            to_state=step.to_state,
            trigger=step.trigger,
            reason=step.reason,
            actor_id=step.actor_id,
            forced=step.forced,
            details=step.details,
            at=step.at,
        )


class PromoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Literal["canary", "champion"] = "champion"
    share: float | None = Field(default=None, gt=0, lt=1)
    force: bool = False
    reason: str | None = Field(default=None, max_length=500)
    venue: str | None = Field(
        default=None, max_length=50, description="Re-evaluate both models on this venue's candles."
    )


class RollbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str = Field(default=DEFAULT_FAMILY, max_length=100)
    reason: str = Field(min_length=1, max_length=500)
    version_id: str | None = Field(default=None, max_length=36)


class PromotionView(BaseModel):
    version: ModelVersionView
    forced: bool
    gate: dict[str, Any] | None


class RollbackView(BaseModel):
    rolled_back: ModelVersionView | None
    restored: ModelVersionView | None
