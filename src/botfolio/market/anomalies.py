"""Data-quality anomaly kinds and the value recorded for each finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class AnomalyKind(StrEnum):
    MISSING_CANDLES = "missing_candles"
    DUPLICATE_CANDLE = "duplicate_candle"
    NON_POSITIVE_PRICE = "non_positive_price"
    NEGATIVE_VOLUME = "negative_volume"
    INCONSISTENT_OHLC = "inconsistent_ohlc"
    PRICE_SPIKE = "price_spike"
    STALE_FEED = "stale_feed"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class Anomaly:
    """One finding: `at` is the candle (or first missing candle) it concerns."""

    kind: AnomalyKind
    at: datetime
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
