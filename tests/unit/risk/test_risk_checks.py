"""Each pre-trade check denies what it should and lets the rest through (table-driven, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal as D

import pytest

from botfolio.exchanges.port import Market, OrderSide
from botfolio.risk.checks import Check, RiskContext, RiskDecision, evaluate, loss_limit_breach
from botfolio.risk.limits import RiskLimits
from botfolio.risk.state import TradingState, most_restrictive

BUY, SELL = OrderSide.BUY, OrderSide.SELL


@dataclass(frozen=True)
class Draft:
    symbol: str
    side: OrderSide
    amount: D
    reference_price: D


MARKETS = {
    "BTC/USDT": Market("BTC/USDT", "BTC", "USDT", D("0.01"), D("0.001"), D("0.001"), D("10")),
    "ETH/USDT": Market("ETH/USDT", "ETH", "USDT", D("0.01"), D("0.01"), D("0.01"), D("10")),
    "OLD/USDT": Market("OLD/USDT", "OLD", "USDT", D("0.01"), D("1"), D("1"), D("1"), active=False),
}
CONTEXT = RiskContext(
    state=TradingState.ACTIVE,
    equity=D("10000"),
    holdings={"BTC/USDT": D("0.05"), "ETH/USDT": D("1")},
    balances={"USDT": D("5000"), "BTC": D("0.05"), "ETH": D("1")},
    last_prices={"BTC/USDT": D("20000"), "ETH/USDT": D("1000"), "OLD/USDT": D("1")},
    markets=MARKETS,
    day_start_equity=D("10000"),
    peak_equity=D("10000"),
)
LIMITS = RiskLimits(max_order_notional=D("3000"), max_position_weight=D("0.4"))
OK_BUY = Draft("BTC/USDT", BUY, D("0.05"), D("20000"))


CASES = [
    # (name, draft, context changes, expected check)
    ("plain buy passes", OK_BUY, {}, Check.PASSED),
    ("plain sell passes", Draft("ETH/USDT", SELL, D("0.5"), D("1000")), {}, Check.PASSED),
    (
        "halted denies a sell",
        Draft("ETH/USDT", SELL, D("0.5"), D("1000")),
        {"state": TradingState.HALTED},
        Check.TRADING_STATE,
    ),
    ("reducing denies a buy", OK_BUY, {"state": TradingState.REDUCING}, Check.TRADING_STATE),
    (
        "reducing allows a reducing sell",
        Draft("ETH/USDT", SELL, D("1"), D("1000")),
        {"state": TradingState.REDUCING},
        Check.PASSED,
    ),
    (
        "reducing denies a sell beyond the position",
        Draft("ETH/USDT", SELL, D("1.5"), D("1000")),
        {"state": TradingState.REDUCING},
        Check.TRADING_STATE,
    ),
    ("unknown market", Draft("XRP/USDT", BUY, D("10"), D("1")), {}, Check.VENUE_RULES),
    ("inactive market", Draft("OLD/USDT", BUY, D("10"), D("1")), {}, Check.VENUE_RULES),
    ("below min amount", Draft("ETH/USDT", BUY, D("0.001"), D("1000")), {}, Check.VENUE_RULES),
    ("off the amount step", Draft("BTC/USDT", BUY, D("0.0015"), D("20000")), {}, Check.VENUE_RULES),
    (
        "below min notional",
        Draft("BTC/USDT", BUY, D("0.001"), D("5000")),
        {"last_prices": {"BTC/USDT": D("5000")}},
        Check.VENUE_RULES,
    ),
    (
        "fat finger above the band",
        Draft("BTC/USDT", BUY, D("0.05"), D("21500")),
        {},
        Check.PRICE_BAND,
    ),
    (
        "fat finger below the band",
        Draft("ETH/USDT", SELL, D("0.5"), D("900")),
        {},
        Check.PRICE_BAND,
    ),
    ("inside the band", Draft("BTC/USDT", BUY, D("0.05"), D("20900")), {}, Check.PASSED),
    ("no last price", OK_BUY, {"last_prices": {}}, Check.PRICE_BAND),
    (
        "order notional too big",
        Draft("ETH/USDT", SELL, D("4"), D("1000")),
        {"holdings": {"ETH/USDT": D("4")}, "balances": {"ETH": D("4")}},
        Check.MAX_ORDER_NOTIONAL,
    ),
    (
        "position weight too big after the order",
        Draft("BTC/USDT", BUY, D("0.1"), D("20000")),
        {"holdings": {"BTC/USDT": D("0.15")}},
        Check.MAX_POSITION_WEIGHT,
    ),
    ("quote balance too small", OK_BUY, {"balances": {"USDT": D("999")}}, Check.BALANCE),
    (
        "base balance too small",
        Draft("ETH/USDT", SELL, D("0.5"), D("1000")),
        {"balances": {"ETH": D("0.2")}},
        Check.BALANCE,
    ),
]


@pytest.mark.parametrize(("name", "draft", "changes", "expected"), CASES, ids=[c[0] for c in CASES])
def test_evaluate_when_one_check_fails_that_check_denies(
    name: str, draft: Draft, changes: dict[str, object], expected: Check
) -> None:
    context = replace(CONTEXT, **changes)  # type: ignore[arg-type]
    [decision] = evaluate([draft], context, LIMITS)
    assert decision.check == expected.value, decision.reason
    assert decision.allowed is (expected is Check.PASSED)
    assert decision.allowed or decision.reason


def test_evaluate_when_earlier_drafts_use_the_balance_later_buy_is_denied() -> None:
    context = replace(CONTEXT, balances={"USDT": D("1500"), "ETH": D("1")})
    drafts = [
        Draft("ETH/USDT", BUY, D("1"), D("1000")),
        Draft("BTC/USDT", BUY, D("0.05"), D("20000")),
        Draft("ETH/USDT", BUY, D("0.5"), D("1000")),
    ]
    decisions = evaluate(drafts, context, LIMITS)
    assert [d.check for d in decisions] == ["passed", "balance", "passed"]


def test_evaluate_when_sell_comes_first_buy_can_use_its_proceeds() -> None:
    context = replace(CONTEXT, balances={"USDT": D("0"), "ETH": D("1")})
    drafts = [
        Draft("ETH/USDT", SELL, D("1"), D("1000")),
        Draft("BTC/USDT", BUY, D("0.05"), D("20000")),
    ]
    assert all(d.allowed for d in evaluate(drafts, context, LIMITS))
    strict = LIMITS.model_copy(update={"count_sell_proceeds": False})
    assert [d.check for d in evaluate(drafts, context, strict)] == ["passed", "balance"]


def test_evaluate_when_earlier_buy_raises_the_position_weight_check_counts_it() -> None:
    drafts = [
        Draft("BTC/USDT", BUY, D("0.15"), D("20000")),
        Draft("BTC/USDT", BUY, D("0.15"), D("20000")),
    ]
    context = replace(CONTEXT, holdings={}, balances={"USDT": D("10000")})
    assert [d.check for d in evaluate(drafts, context, LIMITS)] == ["passed", "max_position_weight"]


@pytest.mark.parametrize(
    ("day_start", "peak", "equity", "expected"),
    [
        (D("10000"), D("10000"), D("9600"), None),
        (D("10000"), D("10000"), D("9500"), Check.DAILY_LOSS),
        (D("9000"), D("12000"), D("9100"), None),
        (D("9000"), D("12000"), D("8900"), Check.DRAWDOWN),
        (None, None, D("1"), None),
    ],
)
def test_loss_limit_breach_when_equity_falls_past_a_limit_denies_every_draft(
    day_start: D | None, peak: D | None, equity: D, expected: Check | None
) -> None:
    limits = RiskLimits(max_daily_loss_pct=D("5"), max_drawdown_pct=D("25"))
    context = replace(CONTEXT, day_start_equity=day_start, peak_equity=peak, equity=equity)
    breach = loss_limit_breach(context, limits)
    assert (breach.check if breach else None) == (expected.value if expected else None)
    sell = Draft("ETH/USDT", SELL, D("0.5"), D("1000"))
    decisions = evaluate([sell], context, limits)
    assert decisions[0].allowed is (expected is None)


def test_most_restrictive_when_any_scope_is_halted_is_halted() -> None:
    assert most_restrictive([TradingState.ACTIVE, TradingState.HALTED, TradingState.REDUCING]) is (
        TradingState.HALTED
    )
    assert most_restrictive([TradingState.ACTIVE, TradingState.REDUCING]) is TradingState.REDUCING
    assert most_restrictive([]) is TradingState.ACTIVE


def test_risk_limits_when_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        RiskLimits(max_position_weight=D("1.5"))
    assert RiskLimits.model_validate_json(RiskLimits().model_dump_json()) == RiskLimits()
    assert isinstance(RiskDecision(True, "passed", ""), RiskDecision)
