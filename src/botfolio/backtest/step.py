"""One rebalance decision: scores -> target weights -> order drafts -> pre-trade checks.

This is the single code path both the live bot tick and the backtest call, so a backtest can
never trade a different strategy from the bots. It is pure: no I/O, no clock, Decimal money.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from botfolio.bots.allocation import (
    AllocationPolicy,
    OrderDraft,
    rebalance_orders,
    target_weights,
)


@dataclass(frozen=True)
class MarketRules:
    """What a venue allows for one symbol: the lot step and the smallest order value."""

    amount_step: Decimal = Decimal(0)
    min_notional: Decimal = Decimal(0)


@dataclass(frozen=True)
class Portfolio:
    """Holdings and free cash in the quote currency at the moment of the decision."""

    cash: Decimal
    holdings: Mapping[str, Decimal]


class PreTradeCheck(Protocol):
    """The pre-trade risk gate: keeps the drafts it allows, in order.

    INTEGRATION POINT (risk): `botfolio.risk.evaluate(drafts, context, limits)` plugs in here,
    wrapped so that only the allowed drafts come back; the live tick records the denials.
    """

    def __call__(
        self, drafts: Sequence[OrderDraft], portfolio: Portfolio, prices: Mapping[str, Decimal]
    ) -> list[OrderDraft]: ...


def allow_all(
    drafts: Sequence[OrderDraft], portfolio: Portfolio, prices: Mapping[str, Decimal]
) -> list[OrderDraft]:
    """The gate with no limits (used when a backtest is given none)."""
    return list(drafts)


def decide(
    scores: Mapping[str, float],
    portfolio: Portfolio,
    prices: Mapping[str, Decimal],
    markets: Mapping[str, MarketRules],
    policy: AllocationPolicy,
    check: PreTradeCheck = allow_all,
) -> list[OrderDraft]:
    """The orders a bot sends now: allocation's drafts that pass the pre-trade check.

    Symbols without a usable score (NaN, missing) get no weight, so holdings in them are sold
    down; symbols without a price are left alone, since no order can be valued there.
    """
    priced = {s: p for s, p in prices.items() if p > 0}
    usable = {s: v for s, v in scores.items() if s in priced and math.isfinite(v)}
    targets = target_weights(usable, policy)
    holdings = {s: q for s, q in portfolio.holdings.items() if q and s in priced}
    steps = {s: rules.amount_step for s, rules in markets.items()}
    min_notional = min((r.min_notional for r in markets.values()), default=Decimal(0))
    drafts = rebalance_orders(
        targets, holdings, priced, portfolio.cash, amount_steps=steps, min_notional=min_notional
    )
    allowed = [d for d in drafts if d.notional >= _min_notional(markets, d.symbol)]
    return check(allowed, portfolio, priced)


def _min_notional(markets: Mapping[str, MarketRules], symbol: str) -> Decimal:
    rules = markets.get(symbol)
    return rules.min_notional if rules is not None else Decimal(0)
