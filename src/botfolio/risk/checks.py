"""Pre-trade risk checks: pure functions of a draft, a `RiskContext` and `RiskLimits` (no I/O).

The live tick and the backtest call the same `evaluate`, so a backtest is refused exactly what a
live bot would be. Checks run in a fixed order and the first one that fails decides; drafts are
evaluated in order, and an allowed draft uses up balance (and frees it, for sells) for the
drafts after it in the same tick.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from botfolio.exchanges.port import Market, OrderSide
from botfolio.risk.limits import RiskLimits
from botfolio.risk.state import TradingState

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class DraftLike(Protocol):
    """What risk needs of an order draft (`botfolio.bots.allocation.OrderDraft` fits; risk sits
    below bots in the layers, so it names the shape rather than importing the class)."""

    @property
    def symbol(self) -> str: ...
    @property
    def side(self) -> OrderSide: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def reference_price(self) -> Decimal: ...


class Check(StrEnum):
    TRADING_STATE = "trading_state"
    DAILY_LOSS = "daily_loss"
    DRAWDOWN = "drawdown"
    VENUE_RULES = "venue_rules"
    PRICE_BAND = "price_band"
    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION_WEIGHT = "max_position_weight"
    BALANCE = "balance"
    PASSED = "passed"


@dataclass(frozen=True)
class RiskDecision:
    allowed: bool
    check: str
    reason: str


@dataclass(frozen=True)
class RiskContext:
    """Everything the checks read, gathered by the caller before the tick's decisions.

    `holdings` are the bot's base quantities; `balances` the free amount per asset available to
    it; `last_prices` the last trade price per symbol; `equity` the bot's current equity in quote;
    `day_start_equity` and `peak_equity` the baselines of the loss limits (None: not known yet).
    """

    state: TradingState
    equity: Decimal
    holdings: Mapping[str, Decimal]
    balances: Mapping[str, Decimal]
    last_prices: Mapping[str, Decimal]
    markets: Mapping[str, Market]
    day_start_equity: Decimal | None = None
    peak_equity: Decimal | None = None


@dataclass
class _TickBook:
    """Balances and holdings as the drafts allowed so far in this tick leave them."""

    balances: dict[str, Decimal] = field(default_factory=dict)
    holdings: dict[str, Decimal] = field(default_factory=dict)

    def free(self, asset: str) -> Decimal:
        return self.balances.get(asset, ZERO)

    def held(self, symbol: str) -> Decimal:
        return self.holdings.get(symbol, ZERO)


CheckFn = Callable[[DraftLike, RiskContext, _TickBook, RiskLimits], str | None]


def check_trading_state(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    if context.state is TradingState.HALTED:
        return "trading is halted"
    if context.state is TradingState.REDUCING:
        if draft.side is OrderSide.BUY:
            return "trading is reducing: only sells that reduce a position are allowed"
        if draft.amount > book.held(draft.symbol):
            return "trading is reducing: the sell is larger than the position"
    return None


def check_venue_rules(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    market = context.markets.get(draft.symbol)
    if market is None or not market.active:
        return f"{draft.symbol} is not an active market on the venue"
    if draft.amount <= 0:
        return "the amount must be positive"
    if draft.amount < market.min_amount:
        return f"amount {draft.amount} is below the venue minimum {market.min_amount}"
    if market.amount_step > 0 and draft.amount % market.amount_step != 0:
        return f"amount {draft.amount} is not a multiple of the step {market.amount_step}"
    if draft.amount * draft.reference_price < market.min_notional:
        return f"notional is below the venue minimum {market.min_notional}"
    return None


def check_price_band(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    last = context.last_prices.get(draft.symbol)
    if last is None or last <= 0:
        return f"no last trade price for {draft.symbol}"
    away = abs(draft.reference_price - last) / last * HUNDRED
    if away > limits.price_band_pct:
        return (
            f"reference price {draft.reference_price} is {away:.2f} % from the last price "
            f"{last} (band {limits.price_band_pct} %)"
        )
    return None


def check_order_notional(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    notional = draft.amount * draft.reference_price
    if notional > limits.max_order_notional:
        return f"notional {notional} exceeds the maximum {limits.max_order_notional}"
    return None


def check_position_weight(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    if draft.side is OrderSide.SELL:
        return None
    if context.equity <= 0:
        return "equity is not positive"
    after = (book.held(draft.symbol) + draft.amount) * draft.reference_price
    weight = after / context.equity
    if weight > limits.max_position_weight:
        return f"position weight after the order {weight:.4f} exceeds {limits.max_position_weight}"
    return None


def check_balance(
    draft: DraftLike, context: RiskContext, book: _TickBook, limits: RiskLimits
) -> str | None:
    market = context.markets[draft.symbol]
    if draft.side is OrderSide.BUY:
        needed, asset = draft.amount * draft.reference_price, market.quote
    else:
        needed, asset = draft.amount, market.base
    if needed > book.free(asset):
        return f"needs {needed} {asset}, {book.free(asset)} available"
    return None


ORDER_CHECKS: tuple[tuple[Check, CheckFn], ...] = (
    (Check.TRADING_STATE, check_trading_state),
    (Check.VENUE_RULES, check_venue_rules),
    (Check.PRICE_BAND, check_price_band),
    (Check.MAX_ORDER_NOTIONAL, check_order_notional),
    (Check.MAX_POSITION_WEIGHT, check_position_weight),
    (Check.BALANCE, check_balance),
)


def loss_limit_breach(context: RiskContext, limits: RiskLimits) -> RiskDecision | None:
    """The daily loss or drawdown breach, if any: the caller halts the bot on it."""
    daily = _loss_pct(context.day_start_equity, context.equity)
    if daily is not None and daily >= limits.max_daily_loss_pct:
        reason = f"daily loss {daily:.2f} % reached the limit {limits.max_daily_loss_pct} %"
        return RiskDecision(False, Check.DAILY_LOSS.value, reason)
    drawdown = _loss_pct(context.peak_equity, context.equity)
    if drawdown is not None and drawdown >= limits.max_drawdown_pct:
        reason = (
            f"drawdown {drawdown:.2f} % from peak reached the limit {limits.max_drawdown_pct} %"
        )
        return RiskDecision(False, Check.DRAWDOWN.value, reason)
    return None


def _loss_pct(baseline: Decimal | None, equity: Decimal) -> Decimal | None:
    if baseline is None or baseline <= 0:
        return None
    return (baseline - equity) / baseline * HUNDRED


def evaluate_one(
    draft: DraftLike, context: RiskContext, limits: RiskLimits, book: _TickBook
) -> RiskDecision:
    for check, run in ORDER_CHECKS:
        reason = run(draft, context, book, limits)
        if reason is not None:
            return RiskDecision(False, check.value, reason)
    return RiskDecision(True, Check.PASSED.value, "")


def evaluate(
    drafts: Sequence[DraftLike], context: RiskContext, limits: RiskLimits
) -> list[RiskDecision]:
    """One decision per draft, in order. A loss-limit breach denies every draft."""
    breach = loss_limit_breach(context, limits)
    if breach is not None:
        return [breach for _ in drafts]
    book = _TickBook(dict(context.balances), dict(context.holdings))
    decisions = []
    for draft in drafts:
        decision = evaluate_one(draft, context, limits, book)
        if decision.allowed:
            _book_draft(book, draft, context.markets[draft.symbol], limits)
        decisions.append(decision)
    return decisions


def _book_draft(book: _TickBook, draft: DraftLike, market: Market, limits: RiskLimits) -> None:
    notional = draft.amount * draft.reference_price
    sign = Decimal(1) if draft.side is OrderSide.BUY else Decimal(-1)
    book.holdings[draft.symbol] = book.held(draft.symbol) + sign * draft.amount
    if draft.side is OrderSide.BUY:
        book.balances[market.quote] = book.free(market.quote) - notional
        return
    book.balances[market.base] = book.free(market.base) - draft.amount
    if limits.count_sell_proceeds:
        book.balances[market.quote] = book.free(market.quote) + notional
