"""Typed configuration of the simulator: venues, markets, accounts, costs, clock, data."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, field_validator

from botfolio.exchanges.simulator.control import AccountSpec


class MarketConfig(BaseModel):
    """A random-walk market; leave the rule fields empty for rules scaled to its price."""

    symbol: str = Field(pattern=r"^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$")
    start_price: Decimal = Field(gt=0)
    volatility: Decimal = Field(default=Decimal("0.001"), gt=0, lt=1)
    tick_size: Decimal | None = Field(default=None, gt=0)
    step_size: Decimal | None = Field(default=None, gt=0)
    min_qty: Decimal | None = Field(default=None, gt=0)
    min_notional: Decimal | None = Field(default=None, ge=0)

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


class VenueConfig(BaseModel):
    enabled: bool = True
    port: int = Field(default=0, ge=0, le=65535, description="0 = any free port")
    markets: list[MarketConfig] = Field(default_factory=list)
    accounts: list[AccountSpec] = Field(default_factory=list)
    maker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    taker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    spread: Decimal = Field(default=Decimal("0.0005"), ge=0, lt=1)
    slippage: Decimal = Field(default=Decimal("0"), ge=0, lt=1)
    participation: Decimal | None = Field(default=None, gt=0, le=1)
    client_ids_unique_among_open_only: bool = Field(
        default=False,
        description="Real Binance only refuses a client order id reused by an OPEN order; "
        "the default refuses any reuse, which is what idempotent retries need to see.",
    )


def _binance_defaults() -> VenueConfig:
    return VenueConfig(
        markets=[
            MarketConfig(symbol="BTC/USDT", start_price=Decimal("60000")),
            MarketConfig(symbol="ETH/USDT", start_price=Decimal("3000")),
        ],
        accounts=[
            AccountSpec(
                api_key="sim-binance-demo-key",
                balances={"USDT": Decimal("100000"), "BTC": Decimal("1"), "ETH": Decimal("10")},
            )
        ],
    )


def _upbit_defaults() -> VenueConfig:
    return VenueConfig(
        maker_fee=Decimal("0.0005"),
        taker_fee=Decimal("0.0005"),
        markets=[
            MarketConfig(symbol="BTC/KRW", start_price=Decimal("90000000")),
            MarketConfig(symbol="ETH/KRW", start_price=Decimal("4000000")),
        ],
        accounts=[
            AccountSpec(
                api_key="sim-upbit-demo-access-key",
                balances={"KRW": Decimal("100000000"), "BTC": Decimal("1"), "ETH": Decimal("10")},
            )
        ],
    )


class SimulatorConfig(BaseModel):
    host: str = "127.0.0.1"
    binance: VenueConfig = Field(default_factory=_binance_defaults)
    upbit: VenueConfig = Field(default_factory=_upbit_defaults)
    speed: float = Field(
        default=0.0, ge=0, description="market seconds per real second; 0 = stepped"
    )
    seed: int = 0
    start: datetime | None = Field(default=None, description="market start; default: now")
    csv_dir: Path | None = Field(
        default=None, description="BASE_QUOTE-*.csv files -> Binance markets"
    )
    history_candles: int = Field(default=500, ge=1, le=100_000)
    control_token: str | None = Field(default=None, min_length=16)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        return value


def load_accounts_file(path: Path) -> dict[str, list[AccountSpec]]:
    """Read `{binance: [...], upbit: [...]}` from YAML or JSON (each: api_key, secret, balances)."""
    text = path.read_text(encoding="utf-8")
    raw: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(raw, dict) or not set(raw) <= {"binance", "upbit"}:
        raise ValueError(f"{path}: expected a mapping with keys 'binance' and/or 'upbit'")
    return {venue: [AccountSpec.model_validate(a) for a in raw[venue] or []] for venue in raw}
