"""Statistics on crafted equity curves whose CAGR, drawdown and ratios are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from botfolio.backtest.metrics import SECONDS_PER_YEAR, annualised_ratios, drawdown, performance

DAY = 24 * 3600.0


def test_performance_when_equity_doubles_in_a_year_has_cagr_one() -> None:
    result = performance(
        np.array([100.0, 150.0, 200.0]),
        span_seconds=SECONDS_PER_YEAR,
        bar_seconds=DAY,
        traded_value=300.0,
    )

    assert result.cagr == pytest.approx(1.0)
    assert result.total_return == pytest.approx(1.0)
    assert result.turnover == pytest.approx(2.0)  # 300 traded over an average equity of 150


def test_performance_when_equity_grows_21_percent_in_two_years_has_cagr_ten_percent() -> None:
    result = performance(
        np.array([1.0, 1.21]),
        span_seconds=2 * SECONDS_PER_YEAR,
        bar_seconds=DAY,
        traded_value=0.0,
    )

    assert result.cagr == pytest.approx(0.10)


def test_max_drawdown_when_curve_falls_by_half_from_its_peak_is_minus_half() -> None:
    curve = np.array([100.0, 120.0, 90.0, 150.0, 75.0, 140.0])

    falls = drawdown(curve)
    result = performance(curve, span_seconds=DAY, bar_seconds=DAY / 5, traded_value=0.0)

    assert falls.tolist() == pytest.approx([0.0, 0.0, -0.25, 0.0, -0.5, -(10 / 150)])
    assert result.max_drawdown == pytest.approx(-0.5)


def test_ratios_when_returns_known_match_the_textbook_formulas() -> None:
    returns = np.array([0.02, -0.01, 0.03, -0.02])
    curve = np.cumprod(np.concatenate([[1.0], 1 + returns]))

    sharpe, sortino = annualised_ratios(curve, DAY)

    scale = math.sqrt(SECONDS_PER_YEAR / DAY)
    assert sharpe == pytest.approx(returns.mean() / returns.std(ddof=1) * scale)
    downside = math.sqrt((0.01**2 + 0.02**2) / 4)
    assert sortino == pytest.approx(returns.mean() / downside * scale)


def test_ratios_when_curve_flat_are_undefined_and_reported_as_none() -> None:
    result = performance(np.ones(10), span_seconds=DAY, bar_seconds=DAY / 9, traded_value=0.0)

    assert result.as_dict()["sharpe"] is None and result.as_dict()["sortino"] is None
    assert result.as_dict()["max_drawdown"] == 0.0
