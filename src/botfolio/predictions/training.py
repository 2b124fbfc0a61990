"""Training a LightGBM regressor of forward log returns, judged by walk-forward validation.

The target is log(close[t + horizon] / close[t]). Each walk-forward fold (see `splits.py`) trains
a fresh booster and is scored on its test block; the model that is kept is trained on all
development data (minus the embargo) and scored once on the final holdout, which no fold saw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import pandas as pd

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import INDEX_NAME
from botfolio.predictions.features import FEATURE_NAMES, forward_log_returns, panel_features
from botfolio.predictions.metrics import EvaluationMetrics, evaluate
from botfolio.predictions.panel import build_panel
from botfolio.predictions.splits import TimeSplit, walk_forward_splits


def default_lightgbm_params() -> dict[str, Any]:
    """Small, regularised trees: 5-minute returns are mostly noise and overfit easily."""
    return {
        "objective": "regression",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 200,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": 1,  # OpenMP threads spin: on a shared 2-core box 2 threads ran 9x slower
        "seed": 7,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }


@dataclass(frozen=True)
class TrainingConfig:
    timeframe: str
    horizon: int = 12
    execution_lag: int = 0
    folds: int = 4
    holdout_fraction: float = 0.3
    top_k: int = 3
    num_boost_round: int = 150
    params: dict[str, Any] = field(default_factory=default_lightgbm_params)

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.top_k < 1 or self.num_boost_round < 1:
            raise ValidationFailedError("horizon, top_k and num_boost_round must be at least 1")
        if self.execution_lag < 0:
            raise ValidationFailedError("execution_lag must not be negative")

    @property
    def embargo(self) -> int:
        """Bars a label looks ahead: no training label may reach into the test period."""
        return self.horizon + self.execution_lag


@dataclass(frozen=True)
class Dataset:
    features: pd.DataFrame
    target: pd.Series

    def rows_at(self, times: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.Series]:
        mask = self.features.index.get_level_values(INDEX_NAME).isin(times)
        return self.features[mask], self.target[mask]


@dataclass(frozen=True)
class FoldResult:
    name: str
    train_rows: int
    metrics: EvaluationMetrics


@dataclass(frozen=True)
class TrainingResult:
    booster: lgb.Booster
    config: TrainingConfig
    folds: list[FoldResult]
    holdout: FoldResult
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    symbols: list[str]


def build_dataset(
    candles: Mapping[str, pd.DataFrame], timeframe: str, horizon: int, execution_lag: int = 0
) -> Dataset:
    """Features and targets on the rows where the target is known."""
    panel = build_panel(candles, timeframe)
    features = panel_features(panel)
    target = forward_log_returns(panel, horizon, execution_lag).reindex(features.index)
    known = target.notna().to_numpy()
    return Dataset(features=features[known], target=target[known])


def train_booster(features: pd.DataFrame, target: pd.Series, config: TrainingConfig) -> lgb.Booster:
    data = lgb.Dataset(
        features[list(FEATURE_NAMES)], label=target, feature_name=list(FEATURE_NAMES)
    )
    return lgb.train(config.params, data, num_boost_round=config.num_boost_round)


def _run_split(
    dataset: Dataset, split: TimeSplit, config: TrainingConfig
) -> tuple[lgb.Booster, FoldResult]:
    train_x, train_y = dataset.rows_at(split.train)
    test_x, test_y = dataset.rows_at(split.test)
    booster = train_booster(train_x, train_y, config)
    predicted = pd.Series(booster.predict(test_x[list(FEATURE_NAMES)]), index=test_x.index)
    metrics = evaluate(
        predicted, test_y, timeframe=config.timeframe, horizon=config.horizon, top_k=config.top_k
    )
    return booster, FoldResult(name=split.name, train_rows=len(train_y), metrics=metrics)


def train_walk_forward(
    candles: Mapping[str, pd.DataFrame],
    config: TrainingConfig,
    *,
    on_fold: Callable[[FoldResult], None] | None = None,
) -> TrainingResult:
    """Validate fold by fold, then train the kept model and score it on the holdout."""
    dataset = build_dataset(candles, config.timeframe, config.horizon, config.execution_lag)
    times = pd.DatetimeIndex(dataset.features.index.get_level_values(INDEX_NAME))
    splits, final = walk_forward_splits(
        times, folds=config.folds, embargo=config.embargo, holdout_fraction=config.holdout_fraction
    )
    folds = []
    for split in splits:
        _, result = _run_split(dataset, split, config)
        folds.append(result)
        if on_fold is not None:
            on_fold(result)
    booster, holdout = _run_split(dataset, final, config)
    if on_fold is not None:
        on_fold(holdout)
    return TrainingResult(
        booster=booster,
        config=config,
        folds=folds,
        holdout=holdout,
        data_start=times.min(),
        data_end=times.max(),
        symbols=sorted(str(s) for s in candles),
    )
