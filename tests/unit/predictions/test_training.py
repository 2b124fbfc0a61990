"""Walk-forward training runs end to end on synthetic candles, reproducibly."""

from __future__ import annotations

import math

import pytest

from botfolio.errors import ValidationFailedError
from botfolio.market.candles import numeric_frame
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.features import FEATURE_NAMES
from botfolio.predictions.training import (
    TrainingConfig,
    build_dataset,
    default_lightgbm_params,
    train_walk_forward,
)

SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT", "EEE/USDT")


def candles() -> dict[str, object]:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=8, bars=1500)
    return {symbol: numeric_frame(frame) for symbol, frame in frames.items()}


def small_config() -> TrainingConfig:
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 50}
    return TrainingConfig(
        timeframe="5m", horizon=6, folds=3, top_k=2, num_boost_round=20, params=params
    )


def test_build_dataset_when_target_known_aligns_rows() -> None:
    dataset = build_dataset(candles(), "5m", horizon=6)  # type: ignore[arg-type]
    assert list(dataset.features.columns) == list(FEATURE_NAMES)
    assert dataset.features.index.equals(dataset.target.index)
    assert dataset.target.notna().all()
    last = dataset.features.index.get_level_values("open_time").max()
    assert last == candles()["AAA/USDT"].index[-7]  # type: ignore[index]


def test_train_walk_forward_reports_every_fold_and_the_holdout() -> None:
    seen: list[str] = []
    result = train_walk_forward(candles(), small_config(), on_fold=lambda f: seen.append(f.name))  # type: ignore[arg-type]
    assert seen == ["fold 1", "fold 2", "fold 3", "holdout"]
    assert [f.train_rows for f in result.folds] == sorted(f.train_rows for f in result.folds)
    for fold in [*result.folds, result.holdout]:
        metrics = fold.metrics
        assert all(
            math.isfinite(v)
            for v in (metrics.information_coefficient, metrics.hit_rate, metrics.rmse, metrics.mae)
        )
    assert result.booster.feature_name() == list(FEATURE_NAMES)
    assert result.symbols == sorted(SYMBOLS)


def test_train_walk_forward_when_repeated_gives_the_same_model() -> None:
    first = train_walk_forward(candles(), small_config())  # type: ignore[arg-type]
    second = train_walk_forward(candles(), small_config())  # type: ignore[arg-type]
    assert first.booster.model_to_string() == second.booster.model_to_string()


def test_training_config_when_horizon_is_zero_is_refused() -> None:
    with pytest.raises(ValidationFailedError):
        TrainingConfig(timeframe="5m", horizon=0)
