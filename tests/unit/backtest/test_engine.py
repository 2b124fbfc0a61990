"""The replay: buy-and-hold comparison, risk halts, report and chart contents (no files)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from botfolio.backtest.chart import HEIGHT, PNG_SIGNATURE, WIDTH, encode_png, render_chart
from botfolio.backtest.engine import BacktestConfig, Scorer, run_backtest
from botfolio.backtest.fills import FillModel
from botfolio.backtest.report import report_dict
from botfolio.bots.allocation import AllocationPolicy
from botfolio.errors import ValidationFailedError
from botfolio.risk.limits import RiskLimits

HOLD_ALL = AllocationPolicy(top_k=4, max_weight=Decimal(1), cash_buffer=Decimal(0))
NO_COSTS = FillModel(Decimal(0), Decimal(0))
LOOSE = RiskLimits(
    max_position_weight=Decimal(1), max_daily_loss_pct=Decimal(100), max_drawdown_pct=Decimal(100)
)


def test_backtest_when_strategy_holds_everything_once_matches_buy_and_hold(
    candles: dict[str, pd.DataFrame], constant: Callable[[float], Scorer]
) -> None:
    config = BacktestConfig(policy=HOLD_ALL, fills=NO_COSTS, limits=LOOSE, rebalance_every=10_000)

    result = run_backtest(candles, constant(0.01), config)

    assert result.decisions == 1 and len(result.fills) == 4
    assert np.allclose(result.equity, result.benchmark_equity, rtol=1e-5)
    assert result.strategy.max_drawdown == pytest.approx(result.buy_and_hold.max_drawdown, 1e-4)


def test_backtest_when_no_score_is_positive_stays_in_cash(
    candles: dict[str, pd.DataFrame], constant: Callable[[float], Scorer]
) -> None:
    result = run_backtest(candles, constant(-0.01), BacktestConfig())

    assert result.fills == []
    assert np.all(result.equity == 1.0)
    assert result.buy_and_hold.total_return != 0.0


def test_backtest_when_drawdown_limit_breached_halts_and_stops_trading(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    tight = RiskLimits(max_drawdown_pct=Decimal("0.5"), max_daily_loss_pct=Decimal(100))

    result = run_backtest(candles, momentum, BacktestConfig(limits=tight))

    assert result.halted_at is not None and "drawdown" in (result.halt_reason or "")
    assert all(pd.Timestamp(f.filled_at) <= pd.Timestamp(result.halted_at) for f in result.fills)
    assert result.denials > 0


def test_backtest_when_period_chosen_replays_only_that_window(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    times = candles["AAA/BTC"].index
    config = BacktestConfig(start=times[100].to_pydatetime(), end=times[299].to_pydatetime())

    result = run_backtest(candles, momentum, config)

    assert result.times[0] == times[100] and result.times[-1] == times[299]
    assert result.candles == 200 * 4


def test_backtest_when_period_empty_is_refused(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    late = candles["AAA/BTC"].index[-1] + pd.Timedelta(days=1)

    with pytest.raises(ValidationFailedError, match="fewer than two candles"):
        run_backtest(candles, momentum, BacktestConfig(start=late.to_pydatetime()))


def test_report_when_built_is_plain_json_with_both_strategies(
    candles: dict[str, pd.DataFrame], momentum: Scorer
) -> None:
    result = run_backtest(candles, momentum, BacktestConfig())

    report = json.loads(json.dumps(report_dict(result, model_id="m1"), allow_nan=False))

    assert set(report["strategy"]) == {
        "start_equity",
        "end_equity",
        "total_return",
        "cagr",
        "sharpe",
        "sortino",
        "max_drawdown",
        "turnover",
    }
    assert set(report["buy_and_hold"]) == set(report["strategy"])
    assert len(report["trades"]) == len(result.fills)
    assert len(report["equity_curve"]["equity"]) == len(result.times)
    assert report["model_id"] == "m1" and report["candles"] == 600 * 4


def test_chart_when_encoded_is_a_valid_png_of_the_chart_size() -> None:
    curve = np.array([1.0, 1.1, 0.9, 1.3, 1.2])

    png = encode_png(render_chart(curve, np.ones(5)))

    assert png.startswith(PNG_SIGNATURE)
    length, kind = struct.unpack(">I4s", png[8:16])
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (length, kind, width, height, depth, colour) == (13, b"IHDR", WIDTH, HEIGHT, 8, 2)
    idat_length = struct.unpack(">I", png[33:37])[0]
    pixels = zlib.decompress(png[41 : 41 + idat_length])
    assert len(pixels) == HEIGHT * (1 + 3 * WIDTH)
    assert png.endswith(b"IEND\xaeB`\x82")
