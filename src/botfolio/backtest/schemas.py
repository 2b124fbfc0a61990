"""Request body of POST /v1/backtests; the answer is the JSON report itself (`report.py`)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from botfolio.bots.allocation import AllocationMethod
from botfolio.risk.limits import RiskLimits

MAX_SYMBOLS = 20


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: AllocationMethod = AllocationMethod.TOP_K
    top_k: int = Field(default=3, ge=1, le=MAX_SYMBOLS)
    max_weight: Decimal = Field(default=Decimal("0.4"), gt=0, le=1)
    cash_buffer: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    min_score: float = 0.0


class BacktestRequest(BaseModel):
    """Replay stored candles of one venue with the model family's champion."""

    model_config = ConfigDict(extra="forbid")

    venue: str = Field(min_length=1, max_length=50)
    symbols: list[str] = Field(min_length=1, max_length=MAX_SYMBOLS)
    timeframe: str = Field(default="5m", min_length=2, max_length=4)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    model_family: str = Field(default="default", min_length=1, max_length=100)
    initial_cash: Decimal = Field(default=Decimal(1), gt=0, max_digits=30)
    rebalance_every: int = Field(default=12, ge=1, le=10_000)
    fee_rate: Decimal = Field(default=Decimal("0.001"), ge=0, lt=Decimal("0.1"))
    slippage_bps: Decimal = Field(default=Decimal(5), ge=0, lt=1000)
    allocation: AllocationIn = Field(default_factory=AllocationIn)
    limits: RiskLimits = Field(default_factory=RiskLimits)
    include_curve: bool = Field(default=True, description="Send the equity curve points too.")
