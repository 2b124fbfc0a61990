"""Prediction engine latency and throughput against raw `Booster.predict` in the same run.

1. One 10-symbol request: the engine's scoring path (canary routing, scoring, NaN/range checks,
   latency window, metrics) against `booster.predict` on the same 10 x 18 feature matrix,
   calls interleaved so machine noise hits both alike. Target: median ratio <= 3x.
2. Batch: 10,000 rows through the engine against `booster.predict`. Target: >= 50 % of raw.
3. For the record (no target): the whole in-process request on SQLite, with features computed
   per request and with features shared by requests over the same candles (latest candles read from
   the database, features, scoring, predictions stored), which is what a bot tick waits for.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lightgbm as lgb
import numpy as np

from botfolio.audit.service import Actor
from botfolio.clock import SystemClock
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.market.candles import frame_to_candles
from botfolio.market.repository import SeriesKey, upsert_candles
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions import registry
from botfolio.predictions.artifacts import save_artifact
from botfolio.predictions.engine import PredictionEngine, ServingModel
from botfolio.predictions.features import FEATURE_NAMES, compute_features
from botfolio.predictions.models import ModelState
from botfolio.predictions.serving_config import ServingPolicy
from botfolio.predictions.serving_types import PredictRequest
from botfolio.predictions.training import TrainingConfig, TrainingResult, train_walk_forward

SYMBOLS = tuple(f"S{i:02d}/USDT" for i in range(10))
SINGLE_CALLS = 3000
BATCH_ROWS = 10_000
BATCH_REPEATS = 15
END_TO_END_CALLS = 40
POLICY = ServingPolicy(latency_budget_seconds=5.0)


def _train() -> tuple[TrainingResult, dict]:
    frames = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=3, bars=2000)
    config = TrainingConfig(timeframe="5m", horizon=12, folds=2, num_boost_round=150)
    return train_walk_forward(frames, config), frames


def _engine(booster: lgb.Booster) -> PredictionEngine:
    engine = PredictionEngine("bench", POLICY)
    champion = ServingModel("champion", "bench", "champion", "5m", 12, SYMBOLS, 0.0, booster)
    canary = ServingModel("canary", "bench", "canary", "5m", 12, SYMBOLS, 0.1, booster)
    engine.install(1, champion=champion, canary=canary, fallback=None)
    return engine


def _percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.array(samples), q))


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def single_request(booster: lgb.Booster, matrix: np.ndarray) -> float:
    engine = _engine(booster)
    raw, served = [], []
    for i in range(SINGLE_CALLS):
        raw.append(_timed(lambda: booster.predict(matrix)))
        served.append(_timed(lambda i=i: engine.predict(matrix, f"bot-{i % 500}")))
    ratio = statistics.median(served) / statistics.median(raw)
    print(f"single 10-symbol request ({SINGLE_CALLS} calls, interleaved)")
    for name, samples in (("raw Booster.predict", raw), ("engine", served)):
        print(
            f"  {name:20s} median {statistics.median(samples) * 1e6:8.1f} us   "
            f"p99 {_percentile(samples, 99) * 1e6:8.1f} us"
        )
    print(f"  engine / raw at the median: {ratio:.2f}x (target <= 3x)")
    return ratio


def batch_throughput(booster: lgb.Booster, batch: np.ndarray) -> float:
    engine = _engine(booster)
    raw, served = [], []
    for _ in range(BATCH_REPEATS):
        raw.append(_timed(lambda: booster.predict(batch)))
        served.append(_timed(lambda: engine.predict(batch, "bot-batch")))
    raw_rate = len(batch) / statistics.median(raw)
    engine_rate = len(batch) / statistics.median(served)
    share = engine_rate / raw_rate
    print(f"batch of {len(batch)} rows ({BATCH_REPEATS} runs, median)")
    print(f"  raw Booster.predict {raw_rate:12,.0f} rows/s")
    print(f"  engine              {engine_rate:12,.0f} rows/s")
    print(f"  engine / raw throughput: {share:.0%} (target >= 50 %)")
    return share


async def end_to_end(result: TrainingResult, frames: dict) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{Path(workdir) / 'bench.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        db = Database(url)
        clock = SystemClock()
        try:
            save_artifact(result, Path(workdir) / "model")
            async with db.transaction() as session:
                for symbol, frame in frames.items():
                    candles = frame_to_candles(frame.tail(POLICY.feature_lookback_bars + 5))
                    await upsert_candles(session, SeriesKey("bench", symbol, "5m"), candles)
                version = await registry.register_version(
                    session, clock, artifact_dir=Path(workdir) / "model", actor=Actor.system()
                )
                await registry.promote(
                    session, clock, version.id, to=ModelState.CHAMPION, actor=Actor.system()
                )
            from botfolio.predictions.engine_host import EngineHost

            request = PredictRequest(symbols=SYMBOLS, venue="bench", bot_id="bot-1")
            timings = {}
            for label, policy in (
                (
                    "features computed per request",
                    POLICY.model_copy(update={"feature_cache_seconds": 0}),
                ),
                ("features shared (same candles, as the bots of one boundary)", POLICY),
            ):
                host = EngineHost(db, clock, policy=policy)
                await host.predict(request)
                samples = []
                for _ in range(END_TO_END_CALLS):
                    started = time.perf_counter()
                    await host.predict(request)
                    samples.append(time.perf_counter() - started)
                timings[label] = samples
        finally:
            await db.dispose()
    print(f"whole in-process request on SQLite ({END_TO_END_CALLS} calls each; no target)")
    for label, samples in timings.items():
        print(
            f"  {label}: median {statistics.median(samples) * 1000:.1f} ms, "
            f"p99 {_percentile(samples, 99) * 1000:.1f} ms"
        )


def main() -> None:
    started = time.perf_counter()
    result, frames = _train()
    print(
        f"trained a 150-round model on 10 synthetic symbols in {time.perf_counter() - started:.1f} s"
    )
    features = compute_features(frames, "5m")[list(FEATURE_NAMES)]
    times = features.index.get_level_values(0)
    matrix = np.ascontiguousarray(features[times == times.max()].to_numpy(dtype=np.float64))
    batch = np.ascontiguousarray(features.tail(BATCH_ROWS).to_numpy(dtype=np.float64))
    assert matrix.shape == (len(SYMBOLS), len(FEATURE_NAMES))
    single_request(result.booster, matrix)
    batch_throughput(result.booster, batch)
    asyncio.run(end_to_end(result, frames))


if __name__ == "__main__":
    main()
