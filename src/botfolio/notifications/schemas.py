"""API shapes of notifications. Destinations never leave the server, not even to their owner."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from botfolio.notifications.models import ChannelKind


class NotificationView(BaseModel):
    id: str
    user_id: str
    event: str
    title: str
    body: str
    status: str
    delivered_channel: str | None
    last_error: str | None
    attempts: int
    alert_id: str | None
    created_at: datetime
    delivered_at: datetime | None
    dead_at: datetime | None
    read_at: datetime | None


class AttemptView(BaseModel):
    notification_id: str
    step: int
    channel_id: str | None
    channel_kind: str
    outcome: str
    error: str | None
    latency_ms: float
    attempted_at: datetime


class ChannelView(BaseModel):
    id: str
    kind: str
    label: str
    position: int
    enabled: bool
    consent_at: datetime | None
    has_destination: bool


class AddChannelBody(BaseModel):
    kind: ChannelKind
    destination: str | None = Field(default=None, max_length=2000)
    label: str = Field(default="", max_length=100)
    consent: bool = Field(
        default=False, description="The user's explicit opt-in; without it the channel is unused."
    )
    position: int | None = Field(default=None, ge=0, le=1000)


class ConsentBody(BaseModel):
    consent: bool


class PositionBody(BaseModel):
    position: int = Field(ge=0, le=1000)


class ProfileBody(BaseModel):
    language: str | None = Field(default=None, pattern="^(en|ko)$")
    in_app_only_events: list[str] | None = Field(default=None, max_length=50)


class ProfileView(BaseModel):
    language: str
    in_app_only_events: list[str]


class RetryBody(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=1000)


class FindingView(BaseModel):
    level: str
    message: str
    fix: str


class ChannelDiagnosisView(BaseModel):
    id: str
    kind: str
    label: str
    position: int
    enabled: bool
    consent: bool
    usable: bool
    reason: str | None
    last_outcome: str | None
    last_error: str | None


class DiagnosisView(BaseModel):
    user_id: str
    checked_at: datetime
    service: dict[str, object]
    language: str
    in_app_only_events: list[str]
    channels: list[ChannelDiagnosisView]
    recent_attempts: list[AttemptView]
    findings: list[FindingView]
