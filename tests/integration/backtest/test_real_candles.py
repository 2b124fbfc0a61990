"""The backtest on the real 5-minute candles of ../shared/data/ohlcv: a small model trained on
the first 70 %, replayed out of sample on the rest; fast reader agrees with `data import`'s."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from botfolio.backtest.data import read_candle_csvs
from botfolio.backtest.engine import BacktestConfig, run_backtest
from botfolio.errors import ValidationFailedError
from botfolio.predictions.sources import load_csv_candles
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)
from botfolio.risk.limits import RiskLimits


def test_fast_reader_when_given_real_files_matches_the_validating_importer(
    real_files: list[Path],
) -> None:
    fast = read_candle_csvs(real_files[:3], "5m")
    exact = load_csv_candles(real_files[:3], "5m")

    assert fast.keys() == exact.keys()
    for symbol, frame in fast.items():
        assert frame.index.equals(exact[symbol].index)
        assert np.array_equal(frame.to_numpy(), exact[symbol].astype("float64").to_numpy())
        decimals = [Decimal(repr(v)) for v in frame["close"].tolist()]
        assert decimals == list(exact[symbol]["close"])  # Decimal(repr(float)) is the file text


def test_fast_reader_when_a_row_is_bad_refuses_the_file_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ETH_BTC-5m.csv"
    path.write_text(
        "date,open,high,low,close,volume\n"
        "2018-01-10T05:00:00Z,1,2,0.5,1.5,10\n"
        "2018-01-10T05:05:00Z,1,0.9,0.5,1.5,10\n"  # high below open
    )

    with pytest.raises(ValidationFailedError, match=r"ETH_BTC-5m.csv:3: bad candle"):
        read_candle_csvs([path], "5m")


def test_backtest_on_real_candles_when_replayed_out_of_sample_reports_honest_figures(
    real_files: list[Path],
) -> None:
    candles = read_candle_csvs(real_files, "5m")
    params = {**default_lightgbm_params(), "num_threads": 1}
    config = TrainingConfig(timeframe="5m", folds=2, num_boost_round=60, params=params)
    trained = train_walk_forward(candles, config)
    times = pd.DatetimeIndex(sorted(set().union(*(f.index for f in candles.values()))))
    holdout_start = times[round(len(times) * (1 - config.holdout_fraction))]
    limits = RiskLimits(max_daily_loss_pct=Decimal(100), max_drawdown_pct=Decimal(100))

    result = run_backtest(
        candles, trained.booster, BacktestConfig(start=holdout_start.to_pydatetime(), limits=limits)
    )

    print(
        f"\nout of sample {result.times[0]} -> {result.times[-1]}: "
        f"strategy {result.strategy.as_dict()}\nbuy and hold {result.buy_and_hold.as_dict()}"
    )
    assert result.times[0] == holdout_start
    assert 17_000 < result.candles < 17_400  # ten pairs x 30 % of ~5,760 candles
    assert result.fills and all(
        pd.Timestamp(f.filled_at) - timedelta(minutes=5) >= holdout_start for f in result.fills
    )
    assert np.isfinite(result.equity).all() and result.equity[0] == 1.0
    assert -1.0 < result.strategy.max_drawdown <= 0.0
