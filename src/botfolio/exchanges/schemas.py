"""Request and response bodies of the exchange-account and incident routes. Keys never go out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class LinkAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue: str = Field(min_length=1, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    api_key: SecretStr = Field(min_length=1, max_length=512)
    secret: SecretStr = Field(min_length=1, max_length=512)


class RelinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr = Field(min_length=1, max_length=512)
    secret: SecretStr = Field(min_length=1, max_length=512)


class AccountOut(BaseModel):
    id: str
    venue: str
    label: str
    status: str
    status_reason: str | None
    trading_blocked_reason: str | None
    last_checked_at: datetime | None
    last_latency_ms: float | None
    created_at: datetime


class IncidentOut(BaseModel):
    id: str
    venue: str
    kind: str
    message: str
    account_id: str | None
    details: dict[str, object]
    occurred_at: datetime
