"""Per-bot risk limits: one typed object with safe defaults, embedded in a bot as JSON."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class RiskLimits(BaseModel):
    """Percentages are in percent (5 means 5 %); notionals are in the bot's quote currency.

    The defaults are deliberately conservative: a bot that declares nothing still cannot put more
    than half its equity in one asset, send a 10k order, trade 5 % off the last price, or keep
    trading after losing 5 % in a day or 20 % from its peak.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_order_notional: Decimal = Field(default=Decimal("10000"), gt=0)
    max_position_weight: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    price_band_pct: Decimal = Field(default=Decimal("5"), gt=0, le=100)
    max_daily_loss_pct: Decimal = Field(default=Decimal("5"), gt=0, le=100)
    max_drawdown_pct: Decimal = Field(default=Decimal("20"), gt=0, le=100)
    count_sell_proceeds: bool = Field(
        default=True,
        description="Let buys of a tick use the proceeds of its earlier sells (at the reference "
        "price), as the allocation sends sells first to fund the buys.",
    )
