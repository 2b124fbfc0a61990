"""API shapes of operator alerts and the on-call rota."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from botfolio.alerts.models import Alert, OncallShift


class AlertView(BaseModel):
    id: str
    rule: str
    severity: str
    fingerprint: str
    summary: str
    details: dict[str, Any]
    status: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    escalation_level: int
    paged_user_id: str | None
    pages_sent: int
    next_page_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        return cls.model_validate(alert, from_attributes=True)


class ResolveBody(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class ShiftBody(BaseModel):
    user_id: str = Field(min_length=1, max_length=36)
    level: int = Field(ge=0, le=10)
    starts_at: datetime
    ends_at: datetime


class ShiftView(BaseModel):
    id: str
    user_id: str
    level: int
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, shift: OncallShift) -> ShiftView:
        return cls.model_validate(shift, from_attributes=True)
