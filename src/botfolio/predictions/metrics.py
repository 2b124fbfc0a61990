"""Evaluation metrics for cross-sectional return predictions, vectorised per timestamp.

- IC: Spearman rank correlation between prediction and realised return across symbols at each
  timestamp, averaged over timestamps (those with fewer than 3 symbols or no spread are skipped).
- hit rate: share of rows where the predicted and realised return have the same sign (rows with
  a realised return of exactly zero are left out).
- RMSE / MAE of the predicted log return.
- top-k Sharpe: at non-overlapping timestamps `horizon` bars apart, hold the k symbols with the
  highest prediction in equal weights for `horizon` bars (long only, no fees or slippage); the
  simple returns of those periods give mean / std, annualised by sqrt(periods per 365-day year).
  The same figure for holding every symbol equally is reported as the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from botfolio.market.candles import INDEX_NAME
from botfolio.market.timeframes import periods_per_year

MIN_SYMBOLS_FOR_IC = 3


@dataclass(frozen=True)
class EvaluationMetrics:
    rows: int
    timestamps: int
    information_coefficient: float
    hit_rate: float
    rmse: float
    mae: float
    top_k_sharpe: float
    top_k_mean_return: float
    benchmark_sharpe: float
    periods: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def information_coefficient(predicted: pd.Series, realised: pd.Series) -> float:
    frame = pd.DataFrame({"p": predicted, "r": realised}).dropna()
    by_time = frame.groupby(level=INDEX_NAME)
    ranks = by_time.rank()
    ranks = ranks[by_time["p"].transform("size") >= MIN_SYMBOLS_FOR_IC]
    centred = ranks - ranks.groupby(level=INDEX_NAME).transform("mean")
    products = (centred["p"] * centred["r"]).groupby(level=INDEX_NAME).sum()
    squares = (centred**2).groupby(level=INDEX_NAME).sum()
    denominator = np.sqrt(squares["p"] * squares["r"])
    correlations = (products / denominator.where(denominator > 0)).dropna()
    return float(correlations.mean()) if len(correlations) else math.nan


def hit_rate(predicted: pd.Series, realised: pd.Series) -> float:
    moved = realised != 0
    if not moved.any():
        return math.nan
    return float((np.sign(predicted[moved]) == np.sign(realised[moved])).mean())


def top_k_returns(
    predicted: pd.Series, realised: pd.Series, *, top_k: int, horizon: int
) -> tuple[pd.Series, pd.Series]:
    """Per-period simple returns of the top-k basket and of the equal-weight benchmark."""
    frame = pd.DataFrame({"p": predicted, "r": realised}).dropna()
    times = frame.index.get_level_values(INDEX_NAME).unique().sort_values()
    chosen = times[::horizon]
    frame = frame[frame.index.get_level_values(INDEX_NAME).isin(chosen)]
    simple = np.expm1(frame["r"])
    rank = frame["p"].groupby(level=INDEX_NAME).rank(ascending=False, method="first")
    basket = simple[rank <= top_k].groupby(level=INDEX_NAME).mean()
    benchmark = simple.groupby(level=INDEX_NAME).mean()
    return basket, benchmark


def annualised_sharpe(period_returns: pd.Series, timeframe: str, horizon: int) -> float:
    if len(period_returns) < 2:
        return math.nan
    spread = float(period_returns.std())
    if spread == 0 or math.isnan(spread):
        return math.nan
    scale = math.sqrt(periods_per_year(timeframe, horizon))
    return float(period_returns.mean()) / spread * scale


def evaluate(
    predicted: pd.Series, realised: pd.Series, *, timeframe: str, horizon: int, top_k: int
) -> EvaluationMetrics:
    """All metrics for predictions and realised forward log returns on the same (time, symbol) rows."""
    errors = predicted - realised
    basket, benchmark = top_k_returns(predicted, realised, top_k=top_k, horizon=horizon)
    return EvaluationMetrics(
        rows=len(realised),
        timestamps=realised.index.get_level_values(INDEX_NAME).nunique(),
        information_coefficient=information_coefficient(predicted, realised),
        hit_rate=hit_rate(predicted, realised),
        rmse=float(np.sqrt((errors**2).mean())),
        mae=float(errors.abs().mean()),
        top_k_sharpe=annualised_sharpe(basket, timeframe, horizon),
        top_k_mean_return=float(basket.mean()) if len(basket) else math.nan,
        benchmark_sharpe=annualised_sharpe(benchmark, timeframe, horizon),
        periods=len(basket),
    )
