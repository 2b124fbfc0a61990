"""One rebalance decision: scores -> target weights -> order drafts -> pre-trade risk checks.

This is the single code path that both the live bot tick and the backtest call, so a backtest
can never trade a different strategy, or be refused differently, from the bots. Pure: no I/O,
no clock, Decimal money.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from botfolio.bots.allocation import (
    AllocationPolicy,
    OrderDraft,
    equity_of,
    rebalance_orders,
    target_weights,
)
from botfolio.exchanges.port import Market, OrderSide
from botfolio.risk.checks import RiskContext, RiskDecision, evaluate, loss_limit_breach
from botfolio.risk.limits import RiskLimits
from botfolio.risk.state import TradingState


@dataclass(frozen=True)
class Account:
    """What the bot holds when it decides: free quote cash, base quantities, state, baselines."""

    cash: Decimal
    holdings: Mapping[str, Decimal]
    quote: str
    state: TradingState = TradingState.ACTIVE
    day_start_equity: Decimal | None = None
    peak_equity: Decimal | None = None


@dataclass(frozen=True)
class Decision:
    """Allocation's drafts with one risk decision each; `breach` is a loss-limit breach (the
    caller halts the bot on it)."""

    equity: Decimal
    drafts: list[OrderDraft]
    risk: list[RiskDecision]
    breach: RiskDecision | None
    cash: Decimal
    context: RiskContext
    limits: RiskLimits

    @property
    def allowed(self) -> list[OrderDraft]:
        return [d for d, r in zip(self.drafts, self.risk, strict=True) if r.allowed]

    @property
    def denied(self) -> list[tuple[OrderDraft, RiskDecision]]:
        return [(d, r) for d, r in zip(self.drafts, self.risk, strict=True) if not r.allowed]


def decide(
    scores: Mapping[str, float],
    account: Account,
    prices: Mapping[str, Decimal],
    markets: Mapping[str, Market],
    policy: AllocationPolicy,
    limits: RiskLimits,
) -> Decision:
    """The orders a bot sends now, and why the others are not sent.

    Symbols without a usable score (NaN, missing) get no weight, so holdings in them are sold
    down; symbols without a price or a market are left alone. Differences too small for the
    venue (below its minimum amount or value) are not drafted at all: drift, not a denial.
    """
    priced = {s: p for s, p in prices.items() if p > 0 and s in markets}
    usable = {s: v for s, v in scores.items() if s in priced and math.isfinite(v)}
    holdings = {s: q for s, q in account.holdings.items() if q and s in priced}
    drafts = rebalance_orders(
        target_weights(usable, policy),
        holdings,
        priced,
        account.cash,
        amount_steps={s: m.amount_step for s, m in markets.items()},
    )
    drafts = [_within(d, holdings) for d in drafts]
    drafts = [d for d in drafts if _tradable(d, markets[d.symbol])]
    context = _context(account, holdings, priced, markets)
    return Decision(
        equity=context.equity,
        drafts=drafts,
        risk=evaluate(drafts, context, limits),
        breach=loss_limit_breach(context, limits),
        cash=account.cash,
        context=context,
        limits=limits,
    )


def _within(draft: OrderDraft, holdings: Mapping[str, Decimal]) -> OrderDraft:
    """A sell never exceeds the holding: (held x price) / price can round one unit in the last
    of 28 digits above `held`, and the balance check would then refuse the whole exit."""
    held = holdings.get(draft.symbol, Decimal(0))
    if draft.side is OrderSide.SELL and draft.amount > held:
        return replace(draft, amount=held)
    return draft


def _tradable(draft: OrderDraft, market: Market) -> bool:
    return draft.amount >= market.min_amount and draft.notional >= market.min_notional


def _context(
    account: Account,
    holdings: Mapping[str, Decimal],
    prices: Mapping[str, Decimal],
    markets: Mapping[str, Market],
) -> RiskContext:
    balances = {markets[s].base: q for s, q in holdings.items()}
    balances[account.quote] = account.cash
    return RiskContext(
        state=account.state,
        equity=equity_of(account.cash, holdings, prices),
        holdings=holdings,
        balances=balances,
        last_prices=prices,
        markets=markets,
        day_start_equity=account.day_start_equity,
        peak_equity=account.peak_equity,
    )


def market_for(symbol: str, *, amount_step: Decimal = Decimal(0)) -> Market:
    """A market with no venue minimums, for backtests of candle files that name no venue."""
    base, _, quote = symbol.partition("/")
    return Market(symbol, base, quote, Decimal(0), amount_step, Decimal(0), Decimal(0))
