"""The fill model: next candle's open, slippage against the trader, fees in quote, caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd

from botfolio.backtest.engine import BacktestConfig, Scorer, run_backtest
from botfolio.backtest.fills import Fill, FillModel, fill_order
from botfolio.bots.allocation import OrderDraft
from botfolio.exchanges.port import OrderSide
from botfolio.risk.limits import RiskLimits

AT = datetime(2026, 1, 1, tzinfo=UTC)
MODEL = FillModel(fee_rate=Decimal("0.001"), slippage_bps=Decimal(10))


def _fill(
    side: OrderSide, amount: str, *, cash: str = "100", held: str = "0", step: str = "0"
) -> Fill | None:
    draft = OrderDraft("AAA/BTC", side, Decimal(amount), Decimal(2))
    return fill_order(
        draft,
        next_open=Decimal(3),
        filled_at=AT,
        cash=Decimal(cash),
        held=Decimal(held),
        amount_step=Decimal(step),
        model=MODEL,
    )


def test_fill_when_buy_pays_next_open_plus_slippage_and_the_fee() -> None:
    fill = _fill(OrderSide.BUY, "10")

    assert fill is not None
    assert fill.price == Decimal("3.003")  # 3 * (1 + 10 bp), not the reference price 2
    assert fill.amount == Decimal(10)
    assert fill.fee == Decimal("0.030030")


def test_fill_when_sell_gets_next_open_minus_slippage() -> None:
    fill = _fill(OrderSide.SELL, "4", held="5")

    assert fill is not None and fill.price == Decimal("2.997")
    assert fill.fee == Decimal("4") * Decimal("2.997") * Decimal("0.001")


def test_fill_when_cash_short_buys_only_what_cash_covers_on_the_lot_step() -> None:
    fill = _fill(OrderSide.BUY, "10", cash="10", step="0.1")

    assert fill is not None and fill.amount == Decimal("3.3")
    assert fill.value + fill.fee <= Decimal(10)


def test_fill_when_sell_exceeds_holding_sells_only_the_holding() -> None:
    fill = _fill(OrderSide.SELL, "10", held="2.5")

    assert fill is not None and fill.amount == Decimal("2.5")


def test_fill_when_nothing_affordable_fills_nothing() -> None:
    assert _fill(OrderSide.BUY, "10", cash="0") is None


def test_backtest_when_order_decided_at_t_fills_at_next_candles_open_with_slippage(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    config = BacktestConfig(
        fills=MODEL,
        rebalance_every=12,
        limits=RiskLimits(max_daily_loss_pct=Decimal(100), max_drawdown_pct=Decimal(100)),
    )

    result = run_backtest(candles, momentum, config)

    decided = {result.times[row] for row in range(0, len(result.times) - 1, 12)}
    assert result.fills
    for fill in result.fills:
        moment = pd.Timestamp(fill.filled_at)
        assert moment - timedelta(minutes=5) in decided  # never the decision candle itself
        next_open = candles[fill.symbol].loc[moment, "open"]
        assert fill.price == MODEL.price(fill.side, next_open)
        assert fill.fee == fill.amount * fill.price * MODEL.fee_rate


def test_backtest_when_fees_and_slippage_rise_ends_lower(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    free = BacktestConfig(fills=FillModel(Decimal(0), Decimal(0)))
    costly = BacktestConfig(fills=FillModel(Decimal("0.002"), Decimal(20)))

    cheap_run = run_backtest(candles, momentum, free)
    dear_run = run_backtest(candles, momentum, costly)

    assert cheap_run.fees == 0 and dear_run.fees > 0
    assert dear_run.equity[-1] < cheap_run.equity[-1]
