"""Bot request and response bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from botfolio.bots.allocation import AllocationMethod
from botfolio.bots.models import BotMode

SYMBOL_PATTERN = r"^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$"


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: AllocationMethod = AllocationMethod.TOP_K
    top_k: int = Field(default=3, ge=1, le=50)
    max_weight: Decimal = Field(default=Decimal("0.4"), gt=0, le=1)
    cash_buffer: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    min_score: float = 0.0


class BotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    account_id: str = Field(min_length=1, max_length=36)
    universe: list[str] = Field(min_length=1, max_length=50)
    quote_asset: str = Field(pattern=r"^[A-Z0-9]{2,10}$")
    budget: Decimal = Field(gt=0)
    timeframe: str = Field(default="5m", pattern=r"^(1m|5m|15m|1h|4h|1d)$")
    rebalance_every: int = Field(default=1, ge=1, le=1000, description="In candles.")
    model_family: str = Field(default="default", min_length=1, max_length=50)
    allocation: AllocationIn = AllocationIn()
    risk_limits: dict[str, Any] = Field(default_factory=dict)
    mode: BotMode = BotMode.PAPER
    allow_hotswap: bool = False


class BotUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    universe: list[str] | None = Field(default=None, min_length=1, max_length=50)
    budget: Decimal | None = Field(default=None, gt=0)
    rebalance_every: int | None = Field(default=None, ge=1, le=1000)
    allocation: AllocationIn | None = None
    risk_limits: dict[str, Any] | None = None
    allow_hotswap: bool | None = None


class BotOut(BaseModel):
    id: str
    name: str
    account_id: str
    universe: list[str]
    quote_asset: str
    budget: Decimal
    timeframe: str
    rebalance_every: int
    model_family: str
    allocation: dict[str, Any]
    risk_limits: dict[str, Any]
    mode: str
    allow_hotswap: bool
    status: str
    status_reason: str | None
    last_tick_at: datetime | None
    created_at: datetime
