"""A tiny LightGBM model trained once per module on a synthetic BTC-quoted market, saved as a
real artifact, and the same market's candles as CSV files."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.training import (
    TrainingConfig,
    default_lightgbm_params,
    train_walk_forward,
)

SYMBOLS = ("AAA/BTC", "BBB/BTC", "CCC/BTC", "DDD/BTC")
PRICES = tuple(Decimal(p) for p in ("0.05", "0.002", "0.0004", "0.01"))
BARS = 900


@dataclass(frozen=True)
class Market:
    frames: dict[str, pd.DataFrame]
    model_dir: Path
    csv_files: list[Path]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    rows = [
        f"{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{r.open},{r.high},{r.low},{r.close},{r.volume}"
        for t, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    path.write_text("date,open,high,low,close,volume\n" + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Market:
    root = tmp_path_factory.mktemp("backtest")
    frames = generate_frames(
        SyntheticMarketConfig(symbols=SYMBOLS, initial_prices=PRICES), seed=5, bars=BARS
    )
    params = {**default_lightgbm_params(), "min_data_in_leaf": 20}
    config = TrainingConfig(timeframe="5m", horizon=6, folds=2, num_boost_round=20, params=params)
    save_artifact(train_walk_forward(frames, config), root / "model")
    files = []
    for symbol, frame in frames.items():
        path = root / f"{symbol.replace('/', '_')}-5m.csv"
        write_csv(frame, path)
        files.append(path)
    return Market(frames=frames, model_dir=root / "model", csv_files=files)
