"""`decide`: the one decision path of live ticks and backtests (allocation, then risk)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from botfolio.backtest.engine import BacktestConfig, Scorer, run_backtest, score_panel
from botfolio.backtest.fills import FillModel
from botfolio.backtest.step import Account, decide, market_for
from botfolio.bots.allocation import AllocationPolicy
from botfolio.exchanges.port import Market, OrderSide
from botfolio.portfolio.ledger import Ledger
from botfolio.predictions.panel import build_panel
from botfolio.risk.limits import RiskLimits
from botfolio.risk.state import TradingState

WIDE_LIMITS = RiskLimits(
    max_order_notional=Decimal(1000),
    max_position_weight=Decimal(1),
    max_daily_loss_pct=Decimal(100),
    max_drawdown_pct=Decimal(100),
)
POLICY = AllocationPolicy(top_k=2, max_weight=Decimal("0.5"), cash_buffer=Decimal("0.1"))
PRICES = {"AAA/BTC": Decimal("0.05"), "BBB/BTC": Decimal("0.002")}
MARKETS = {s: market_for(s) for s in PRICES}


def _account(cash: str = "1", **holdings: str) -> Account:
    held = {k.replace("_", "/"): Decimal(v) for k, v in holdings.items()}
    return Account(cash=Decimal(cash), holdings=held, quote="BTC")


def test_decide_when_backtest_replays_gives_exactly_the_orders_the_backtest_filled(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    """Backtest and live tick produce the same orders from the same inputs (one code path):
    every decision of a replay is recomputed here by calling `decide` directly, as the live tick
    does, from the state the replay's own fills imply, and must give the orders it filled."""
    config = BacktestConfig(
        policy=POLICY,
        limits=WIDE_LIMITS,
        fills=FillModel(Decimal(0), Decimal(0)),
        rebalance_every=24,
    )
    result = run_backtest(candles, momentum, config)
    panel = build_panel(candles, "5m")
    scores = score_panel(panel, momentum)
    ledger = Ledger(cash=config.initial_cash)
    compared = 0
    for row in range(0, len(panel.close) - 1, config.rebalance_every):
        prices = {s: Decimal(repr(v)) for s, v in panel.close.iloc[row].items()}
        account = Account(ledger.cash, ledger.holdings(), "BTC")
        live = decide(
            scores.iloc[row].to_dict(),
            account,
            prices,
            {s: market_for(s) for s in prices},
            POLICY,
            WIDE_LIMITS,
        )
        filled_at = panel.close.index[row + 1]
        replayed = [f for f in result.fills if pd.Timestamp(f.filled_at) == filled_at]
        assert [(d.symbol, d.side, d.amount) for d in live.allowed] == [
            (f.symbol, f.side, f.amount) for f in replayed
        ]
        for fill in replayed:
            ledger.apply_fill(fill.symbol, fill.side, price=fill.price, amount=fill.amount)
        compared += len(replayed)
    assert compared > 20  # the replay traded, so the comparison covered real orders


def test_decide_when_flat_buys_the_best_scores_up_to_their_weights() -> None:
    decision = decide(
        {"AAA/BTC": 0.02, "BBB/BTC": 0.01}, _account(), PRICES, MARKETS, POLICY, WIDE_LIMITS
    )

    assert [(d.symbol, d.side) for d in decision.allowed] == [
        ("AAA/BTC", OrderSide.BUY),
        ("BBB/BTC", OrderSide.BUY),
    ]
    assert decision.allowed[0].amount == Decimal("0.45") / PRICES["AAA/BTC"]
    assert decision.equity == Decimal(1)


def test_decide_when_halted_denies_every_draft_with_its_reason() -> None:
    account = Account(Decimal(1), {}, "BTC", state=TradingState.HALTED)

    decision = decide({"AAA/BTC": 0.02}, account, PRICES, MARKETS, POLICY, WIDE_LIMITS)

    assert decision.allowed == []
    assert [(d.symbol, r.check) for d, r in decision.denied] == [("AAA/BTC", "trading_state")]


def test_decide_when_order_too_large_denies_it_and_passes_the_rest() -> None:
    limits = WIDE_LIMITS.model_copy(update={"max_order_notional": Decimal("0.3")})

    decision = decide(
        {"AAA/BTC": 0.02, "BBB/BTC": 0.01},
        _account(),
        PRICES,
        MARKETS,
        AllocationPolicy(top_k=2, max_weight=Decimal("0.6"), cash_buffer=Decimal("0.2")),
        limits,
    )

    assert [d.symbol for d in decision.allowed] == []
    assert {r.check for _, r in decision.denied} == {"max_order_notional"}
    small = decide(
        {"AAA/BTC": 0.02, "BBB/BTC": 0.01}, _account("0.5"), PRICES, MARKETS, POLICY, limits
    )
    assert [d.symbol for d in small.allowed] == ["AAA/BTC", "BBB/BTC"]


def test_decide_when_drawdown_from_peak_breached_reports_the_breach() -> None:
    account = Account(Decimal(1), {}, "BTC", peak_equity=Decimal("1.5"))

    decision = decide({"AAA/BTC": 0.02}, account, PRICES, MARKETS, POLICY, RiskLimits())

    assert decision.breach is not None and decision.breach.check == "drawdown"
    assert decision.allowed == []


def test_decide_when_score_missing_sells_the_holding_down() -> None:
    decision = decide(
        {"AAA/BTC": float("nan")},
        _account("0", AAA_BTC="10"),
        PRICES,
        MARKETS,
        POLICY,
        WIDE_LIMITS,
    )

    assert [(d.symbol, d.side, d.amount) for d in decision.allowed] == [
        ("AAA/BTC", OrderSide.SELL, Decimal(10))
    ]


def test_decide_when_difference_below_venue_minimum_drafts_nothing() -> None:
    markets = {
        s: Market(s, s.split("/")[0], "BTC", Decimal(0), Decimal(0), Decimal(0), Decimal(10))
        for s in PRICES
    }

    decision = decide({"AAA/BTC": 0.02}, _account(), PRICES, markets, POLICY, WIDE_LIMITS)

    assert decision.drafts == [] and decision.risk == []


def test_decide_when_scores_tie_is_deterministic() -> None:
    scores = {"AAA/BTC": 0.01, "BBB/BTC": 0.01}

    first = decide(scores, _account(), PRICES, MARKETS, POLICY, WIDE_LIMITS)
    second = decide(
        dict(reversed(scores.items())), _account(), PRICES, MARKETS, POLICY, WIDE_LIMITS
    )

    assert first == second


def test_decide_when_leaving_a_position_sells_exactly_the_holding() -> None:
    """(held x price) / price rounds one unit above `held` at 28 digits for this holding; the
    exit must still be the holding, or the balance check refuses it and the position is stuck."""
    held = Decimal("4.589326884633659727653289821")
    prices = {"AAA/BTC": Decimal("0.06895"), "BBB/BTC": Decimal("0.002")}
    assert held * prices["AAA/BTC"] / prices["AAA/BTC"] > held  # the rounding this guards

    decision = decide(
        {"BBB/BTC": 0.01}, _account("0", AAA_BTC=str(held)), prices, MARKETS, POLICY, WIDE_LIMITS
    )

    assert decision.denied == []
    first = decision.allowed[0]
    assert (first.symbol, first.side, first.amount) == (
        "AAA/BTC",
        OrderSide.SELL,
        held,
    )


def test_live_tick_when_deciding_calls_the_very_function_the_backtest_replays() -> None:
    """The other half of "one code path": the tick does not hold a copy of the strategy."""
    from botfolio.backtest import engine
    from botfolio.bots import tick

    assert tick.decide is decide
    assert engine.decide is decide
