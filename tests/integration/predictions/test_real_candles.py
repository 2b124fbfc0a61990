"""Train and evaluate on the real 5-minute candles of ../shared/data/ohlcv (first 70 % train,
the rest holdout); prints the metrics and checks that the pipeline runs and they are finite."""

from __future__ import annotations

import math
import time
from pathlib import Path

from botfolio.predictions.features import compute_features
from botfolio.predictions.sources import load_csv_candles
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)


def test_training_on_real_candles_when_run_end_to_end_gives_finite_metrics(
    real_files: list[Path],
) -> None:
    started = time.perf_counter()
    candles = load_csv_candles(real_files, "5m")
    loaded = time.perf_counter()
    features = compute_features(candles, "5m")
    featured = time.perf_counter()
    config = TrainingConfig(
        timeframe="5m",
        horizon=12,
        folds=3,
        holdout_fraction=0.3,
        top_k=3,
        num_boost_round=100,
        params={**default_lightgbm_params(), "num_threads": 1},
    )
    result = train_walk_forward(candles, config)
    trained = time.perf_counter()

    print(
        f"\nread {len(real_files)} files: {loaded - started:.2f} s; "
        f"features {features.shape}: {featured - loaded:.2f} s; "
        f"walk-forward (3 folds + holdout): {trained - featured:.2f} s"
    )
    for fold in [*result.folds, result.holdout]:
        m = fold.metrics
        print(
            f"{fold.name:>8}: train {fold.train_rows:6d} test {m.rows:6d}  IC {m.information_coefficient:+.4f}  "
            f"hit {m.hit_rate:.4f}  RMSE {m.rmse:.5f}  MAE {m.mae:.5f}  "
            f"top-3 Sharpe {m.top_k_sharpe:+.2f}  benchmark Sharpe {m.benchmark_sharpe:+.2f}"
        )

    assert len(candles) == 10
    holdout = result.holdout.metrics
    assert holdout.timestamps > 1000 and holdout.periods > 100
    for fold in [*result.folds, result.holdout]:
        values = fold.metrics.as_dict().values()
        assert all(math.isfinite(float(v)) for v in values), fold
