"""Request and response bodies of the trading-state and risk-event routes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from botfolio.risk.state import TradingState


class TradingStateChange(BaseModel):
    """Halt, reduce or resume one scope: global (no ids), one user, or one bot."""

    model_config = ConfigDict(extra="forbid")

    state: TradingState
    user_id: str | None = Field(default=None, min_length=1, max_length=36)
    bot_id: str | None = Field(default=None, min_length=1, max_length=36)
    reason: str = Field(min_length=1, max_length=500)


class TradingStateOut(BaseModel):
    scope: str
    scope_id: str
    state: str
    reason: str
    breach: str | None
    changed_by: str | None
    changed_at: datetime
    reset_at: datetime | None


class TradingStatesOut(BaseModel):
    global_state: str
    states: list[TradingStateOut]


class RiskEventOut(BaseModel):
    id: str
    bot_id: str
    symbol: str
    side: str
    amount: Decimal
    check: str
    reason: str
    at: datetime


class RiskEventsPage(BaseModel):
    items: list[RiskEventOut]
    limit: int
    offset: int
    next_offset: int | None
