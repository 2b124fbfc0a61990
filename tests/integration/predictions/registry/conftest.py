"""Tiny LightGBM models trained once per session on a synthetic market, saved as real artifacts,
and the same market's candles stored in the test database."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import pandas as pd
import pytest

from botfolio.audit.service import Actor
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.market.candles import INDEX_NAME, frame_to_candles
from botfolio.market.repository import SeriesKey, upsert_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions import registry
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.features import FEATURE_NAMES
from botfolio.predictions.metrics import evaluate
from botfolio.predictions.models import ModelState, ModelVersion
from botfolio.predictions.splits import walk_forward_splits
from botfolio.predictions.training import (
    FoldResult,
    TrainingConfig,
    TrainingResult,
    build_dataset,
    default_lightgbm_params,
    train_walk_forward,
)

VENUE = "synthetic"
SYMBOLS = ("AAA/USDT", "BBB/USDT", "CCC/USDT", "DDD/USDT", "EEE/USDT")
TRAIN_BARS = 1200
OPERATOR = Actor(user_id="00000000-0000-7000-8000-000000000001", source_ip="127.0.0.1")


@dataclass(frozen=True)
class Artifacts:
    good: Path
    worse: Path
    other: Path
    nan_output: Path
    huge_output: Path
    frames: dict[str, pd.DataFrame]


def _config(rounds: int = 25, seed: int = 7) -> TrainingConfig:
    params = {**default_lightgbm_params(), "num_threads": 1, "min_data_in_leaf": 20, "seed": seed}
    return TrainingConfig(timeframe="5m", horizon=6, folds=2, num_boost_round=rounds, params=params)


def _holdout_metrics(
    frames: dict[str, pd.DataFrame], config: TrainingConfig, booster: lgb.Booster
) -> FoldResult:
    dataset = build_dataset(frames, config.timeframe, config.horizon)
    times = pd.DatetimeIndex(dataset.features.index.get_level_values(INDEX_NAME))
    _, final = walk_forward_splits(
        times, folds=config.folds, embargo=config.horizon, holdout_fraction=config.holdout_fraction
    )
    test_x, test_y = dataset.rows_at(final.test)
    predicted = pd.Series(
        booster.predict(test_x[list(FEATURE_NAMES)].to_numpy()), index=test_x.index
    )
    metrics = evaluate(
        predicted, test_y, timeframe=config.timeframe, horizon=config.horizon, top_k=config.top_k
    )
    return FoldResult(name="holdout", train_rows=0, metrics=metrics)


def _with_leaves(
    result: TrainingResult,
    frames: dict[str, pd.DataFrame],
    value: Callable[[float], float],
    *,
    rescore: bool,
) -> TrainingResult:
    """The same model with every leaf rewritten (sign flip, NaN, huge); `rescore` recomputes the
    holdout metrics, otherwise the broken model keeps the good one's (a fault found at serving)."""
    booster = lgb.Booster(model_str=result.booster.model_to_string())
    for tree in booster.dump_model()["tree_info"]:
        for leaf in range(tree["num_leaves"]):
            old = booster.get_leaf_output(tree["tree_index"], leaf)
            booster.set_leaf_output(tree["tree_index"], leaf, value(old))
    booster = lgb.Booster(model_str=booster.model_to_string())
    holdout = _holdout_metrics(frames, result.config, booster) if rescore else result.holdout
    return dataclasses.replace(result, booster=booster, holdout=holdout)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Artifacts:
    root = tmp_path_factory.mktemp("models")
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=11, bars=TRAIN_BARS)
    good = train_walk_forward(frames, _config())
    other = train_walk_forward(frames, _config(rounds=10, seed=3))
    paths = {}
    variants = {
        "good": good,
        "other": other,
        "worse": _with_leaves(good, frames, lambda v: -v, rescore=True),
        "nan_output": _with_leaves(good, frames, lambda v: float("nan"), rescore=False),
        "huge_output": _with_leaves(good, frames, lambda v: 5.0, rescore=False),
    }
    for name, result in variants.items():
        save_artifact(result, root / name)
        paths[name] = root / name
    return Artifacts(frames=frames, **paths)


async def store_candles(db: Database, frames: dict[str, pd.DataFrame]) -> None:
    async with db.transaction() as session:
        for symbol, frame in frames.items():
            await upsert_candles(session, SeriesKey(VENUE, symbol, "5m"), frame_to_candles(frame))


async def register(db: Database, clock: ManualClock, path: Path) -> ModelVersion:
    async with db.transaction() as session:
        return await registry.register_version(session, clock, artifact_dir=path, actor=OPERATOR)


async def champion_of(db: Database, clock: ManualClock, path: Path) -> ModelVersion:
    version = await register(db, clock, path)
    async with db.transaction() as session:
        await registry.promote(session, clock, version.id, to=ModelState.CHAMPION, actor=OPERATOR)
    return version


async def state_of(db: Database, version_id: str) -> str:
    async with db.session() as session:
        return (await registry.get_version(session, version_id)).state
