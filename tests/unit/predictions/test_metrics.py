"""The evaluation metrics give the textbook values on hand-made predictions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from botfolio.predictions.metrics import (
    annualised_sharpe,
    evaluate,
    hit_rate,
    information_coefficient,
    top_k_returns,
)


def frame(times: int = 24, symbols: int = 5, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [
            pd.date_range("2026-01-01", periods=times, freq="300s", tz="UTC", name="open_time"),
            [f"S{i}/USD" for i in range(symbols)],
        ],
        names=["open_time", "symbol"],
    )
    return pd.Series(rng.normal(0, 0.01, len(index)), index=index)


def test_information_coefficient_when_ranks_agree_is_one() -> None:
    realised = frame()
    assert information_coefficient(realised * 3 + 1, realised) == pytest.approx(1.0)
    assert information_coefficient(-realised, realised) == pytest.approx(-1.0)


def test_information_coefficient_matches_rank_correlation_per_timestamp() -> None:
    realised, predicted = frame(seed=1), frame(seed=2)
    expected = np.mean(
        [
            predicted.xs(t, level="open_time").rank().corr(realised.xs(t, level="open_time").rank())
            for t in realised.index.get_level_values("open_time").unique()
        ]
    )
    assert information_coefficient(predicted, realised) == pytest.approx(expected)


def test_information_coefficient_when_too_few_symbols_is_nan() -> None:
    realised = frame(symbols=2)
    assert math.isnan(information_coefficient(realised, realised))


def test_hit_rate_counts_matching_signs_and_ignores_zero_returns() -> None:
    realised = pd.Series([0.01, -0.02, 0.03, 0.0])
    predicted = pd.Series([0.5, 0.1, 0.2, -1.0])
    assert hit_rate(predicted, realised) == pytest.approx(2 / 3)


def test_top_k_returns_pick_the_best_predictions_every_horizon() -> None:
    realised = frame(times=12, symbols=4)
    basket, benchmark = top_k_returns(realised, realised, top_k=1, horizon=3)
    assert len(basket) == 4  # timestamps 0, 3, 6, 9
    first = realised.index.get_level_values("open_time")[0]
    assert basket.iloc[0] == pytest.approx(np.expm1(realised.xs(first, level=0).max()))
    assert benchmark.iloc[0] == pytest.approx(np.expm1(realised.xs(first, level=0)).mean())


def test_annualised_sharpe_scales_by_periods_per_year() -> None:
    returns = pd.Series([0.01, 0.03, 0.02, 0.0])
    expected = returns.mean() / returns.std() * math.sqrt(365 * 24)
    assert annualised_sharpe(returns, "5m", horizon=12) == pytest.approx(expected)
    assert math.isnan(annualised_sharpe(pd.Series([0.01, 0.01]), "5m", horizon=12))


def test_evaluate_when_prediction_is_perfect_has_no_error() -> None:
    realised = frame(times=48)
    metrics = evaluate(realised, realised, timeframe="5m", horizon=4, top_k=2)
    assert metrics.rmse == 0 and metrics.mae == 0
    assert metrics.hit_rate == 1 and metrics.information_coefficient == pytest.approx(1)
    assert metrics.periods == 12 and metrics.top_k_sharpe > metrics.benchmark_sharpe
