"""The fill model: an order decided on candle t fills at candle t+1's open, with slippage and fees.

Never earlier than the next candle, since the decision needs candle t's close. A buy pays the
open plus slippage, a sell gets the open minus slippage; the fee is a share of the filled value,
paid in the quote currency. A buy the cash cannot cover is cut down to what it can pay for
(rounded down to the lot step); a sell never exceeds the holding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from botfolio.bots.allocation import OrderDraft
from botfolio.errors import ValidationFailedError
from botfolio.exchanges.port import OrderSide

BASIS_POINT = Decimal("0.0001")


@dataclass(frozen=True)
class FillModel:
    fee_rate: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal(5)

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.fee_rate < Decimal("0.1"):
            raise ValidationFailedError("fee_rate must be in [0, 0.1)")
        if not Decimal(0) <= self.slippage_bps < Decimal(1000):
            raise ValidationFailedError("slippage_bps must be in [0, 1000)")

    def price(self, side: OrderSide, next_open: Decimal) -> Decimal:
        shift = self.slippage_bps * BASIS_POINT
        return next_open * (1 + shift if side is OrderSide.BUY else 1 - shift)


@dataclass(frozen=True)
class Fill:
    filled_at: datetime
    symbol: str
    side: OrderSide
    amount: Decimal
    price: Decimal
    fee: Decimal

    @property
    def value(self) -> Decimal:
        return self.amount * self.price


def fill_order(
    draft: OrderDraft,
    *,
    next_open: Decimal,
    filled_at: datetime,
    cash: Decimal,
    held: Decimal,
    amount_step: Decimal,
    model: FillModel,
) -> Fill | None:
    """The fill of one draft at the next candle's open, or None when nothing can fill."""
    price = model.price(draft.side, next_open)
    amount = draft.amount
    if draft.side is OrderSide.BUY:
        affordable = cash / (price * (1 + model.fee_rate))
        amount = min(amount, _round_down(affordable, amount_step))
    else:
        amount = min(amount, held)
    if amount <= 0:
        return None
    return Fill(filled_at, draft.symbol, draft.side, amount, price, amount * price * model.fee_rate)


def _round_down(amount: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return amount
    return (amount / step).to_integral_value(rounding=ROUND_DOWN) * step
