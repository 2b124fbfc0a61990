"""What callers send and get back: a prediction request, a prediction, or Pending (wait)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from botfolio.market.timeframes import validate_symbol
from botfolio.predictions.serving_config import DEFAULT_FAMILY

MAX_SYMBOLS_PER_REQUEST = 500


class PredictRequest(BaseModel):
    """Expected returns for `symbols` from the latest stored candles of `venue`.

    `bot_id` decides canary routing (stable per bot); without it `request_id` does.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbols: tuple[str, ...] = Field(min_length=1, max_length=MAX_SYMBOLS_PER_REQUEST)
    venue: str = Field(min_length=1, max_length=50)
    family: str = Field(default=DEFAULT_FAMILY, min_length=1, max_length=100)
    bot_id: str | None = Field(default=None, max_length=36)
    request_id: str | None = Field(default=None, max_length=36)

    @field_validator("symbols")
    @classmethod
    def _valid_symbols(cls, symbols: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(dict.fromkeys(validate_symbol(s) for s in symbols))
        return cleaned

    @property
    def routing_key(self) -> str:
        return self.bot_id or self.request_id or ",".join(self.symbols)


class Prediction(BaseModel):
    """Expected log returns over `horizon` candles of `timeframe`, from the candle at `as_of`."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    family: str
    model_version_id: str
    model_key: str
    role: str
    venue: str
    timeframe: str
    horizon: int
    as_of: datetime
    made_at: datetime
    values: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Pending(BaseModel):
    """No model could answer: the request is held as a durable job. Do not trade meanwhile."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    request_key: str
    since: datetime
    reason: str
