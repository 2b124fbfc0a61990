"""Serving policy: output bounds, latency budget, live-score window, queued-request thresholds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_FAMILY = "default"


class ServingPolicy(BaseModel):
    """When a serving version is judged broken and traffic goes back to the previous champion.

    Defaults suit 5-minute candles and a 12-bar horizon: a predicted log return beyond +-0.5
    (about -39 % / +65 %) is not a forecast but a broken model.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_abs_prediction: float = Field(default=0.5, gt=0)
    latency_budget_seconds: float = Field(default=0.05, gt=0)
    latency_window: int = Field(default=50, ge=2)
    latency_breach_share: float = Field(default=0.5, gt=0, le=1)
    live_window: int = Field(default=200, ge=10)
    live_tolerance: float = Field(default=0.10, ge=0)
    feature_lookback_bars: int = Field(default=120, ge=60)
    reload_interval_seconds: float = Field(default=2.0, gt=0)
    # Features of one set of stored candles are shared by the requests of that candle close
    # (see feature_cache.py); 0 computes them per request.
    feature_cache_seconds: float = Field(default=30.0, ge=0)


class QueuePolicy(BaseModel):
    """How requests wait while no model can serve."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notify_after_seconds: float = Field(default=300.0, gt=0)
    max_attempts: int = Field(default=200, ge=1)
