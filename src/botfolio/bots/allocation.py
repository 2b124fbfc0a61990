"""Allocation: expected returns -> target weights -> order drafts. Pure functions, no I/O.

The live tick and the backtest both call exactly these functions, so a backtest can never trade
a different strategy from the bots.

Long-only. Only symbols with a finite expected return above `min_score` are candidates; the best
`top_k` are kept. `top_k` weighs them equally, `score_weighted` in proportion to their scores.
Each weight is capped at `max_weight`, and at most `1 - cash_buffer` of equity is invested; what
a cap cuts off stays in cash rather than being pushed onto the other assets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from botfolio.exchanges.port import OrderSide

WEIGHT_QUANTUM = Decimal("0.000001")


class AllocationMethod(StrEnum):
    TOP_K = "top_k"
    SCORE_WEIGHTED = "score_weighted"


@dataclass(frozen=True)
class AllocationPolicy:
    method: AllocationMethod = AllocationMethod.TOP_K
    top_k: int = 3
    max_weight: Decimal = Decimal("0.4")
    cash_buffer: Decimal = Decimal("0.05")
    min_score: float = 0.0

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if not Decimal(0) < self.max_weight <= 1:
            raise ValueError("max_weight must be in (0, 1]")
        if not Decimal(0) <= self.cash_buffer < 1:
            raise ValueError("cash_buffer must be in [0, 1)")


@dataclass(frozen=True)
class OrderDraft:
    """What the allocation wants; risk checks and the order spine decide what is sent."""

    symbol: str
    side: OrderSide
    amount: Decimal
    reference_price: Decimal

    @property
    def notional(self) -> Decimal:
        return self.amount * self.reference_price


def target_weights(scores: Mapping[str, float], policy: AllocationPolicy) -> dict[str, Decimal]:
    """Target weight per symbol (symbols left out get 0 and are sold down)."""
    ranked = sorted(
        ((s, v) for s, v in scores.items() if math.isfinite(v) and v > policy.min_score),
        key=lambda item: (-item[1], item[0]),
    )[: policy.top_k]
    if not ranked:
        return {}
    investable = 1 - policy.cash_buffer
    if policy.method is AllocationMethod.TOP_K:
        raw = {s: investable / len(ranked) for s, _ in ranked}
    else:
        total = sum(v for _, v in ranked)
        raw = {s: investable * Decimal(repr(v / total)) for s, v in ranked}
    return {
        s: min(w, policy.max_weight).quantize(WEIGHT_QUANTUM, ROUND_DOWN) for s, w in raw.items()
    }


def equity_of(
    cash: Decimal, holdings: Mapping[str, Decimal], prices: Mapping[str, Decimal]
) -> Decimal:
    return cash + sum((q * prices[s] for s, q in holdings.items() if q), Decimal(0))


def rebalance_orders(
    targets: Mapping[str, Decimal],
    holdings: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    cash: Decimal,
    *,
    amount_steps: Mapping[str, Decimal],
    min_notional: Decimal = Decimal(0),
) -> list[OrderDraft]:
    """Orders that move holdings to the targets at the given prices; sells first, so that the
    buys can use the cash they free. Differences below `min_notional` are left alone."""
    equity = equity_of(cash, holdings, prices)
    drafts: list[OrderDraft] = []
    for symbol in sorted(set(targets) | {s for s, q in holdings.items() if q}):
        price = prices[symbol]
        wanted = equity * targets.get(symbol, Decimal(0))
        held = holdings.get(symbol, Decimal(0)) * price
        difference = wanted - held
        amount = _round_down(abs(difference) / price, amount_steps.get(symbol, Decimal(0)))
        side = OrderSide.BUY if difference > 0 else OrderSide.SELL
        if side is OrderSide.SELL:  # a full exit must not exceed the holding by a rounding unit
            amount = min(amount, holdings.get(symbol, Decimal(0)))
        if amount <= 0 or amount * price < min_notional:
            continue
        drafts.append(OrderDraft(symbol, side, amount, price))
    return sorted(drafts, key=lambda d: (d.side is OrderSide.BUY, d.symbol))


def _round_down(amount: Decimal, step: Decimal) -> Decimal:
    if step <= 0:
        return amount
    return (amount / step).to_integral_value(rounding=ROUND_DOWN) * step
