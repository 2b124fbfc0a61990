"""Requests over the same stored candles share one feature computation; a new candle, another
universe or a disabled cache computes again. Routing and storage stay per request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.predictions import engine_host
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.models import StoredPrediction
from botfolio.predictions.serving_config import ServingPolicy
from botfolio.predictions.serving_types import PredictRequest

from .conftest import SYMBOLS, VENUE, Artifacts, champion_of, store_candles


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Counts the real feature computations (the real function still runs)."""
    calls: list[tuple[str, ...]] = []
    real = engine_host.feature_rows

    def counted(candles: Any, timeframe: str, wanted: Any) -> Any:
        calls.append(tuple(wanted))
        return real(candles, timeframe, wanted)

    monkeypatch.setattr(engine_host, "feature_rows", counted)
    return calls


def _request(bot: str, symbols: tuple[str, ...] = SYMBOLS) -> PredictRequest:
    return PredictRequest(symbols=symbols, venue=VENUE, bot_id=bot)


async def _stored_requests(db: Database) -> int:
    async with db.session() as session:
        count = select(func.count(func.distinct(StoredPrediction.request_id)))
        return int((await session.execute(count)).scalar_one())


async def test_predict_when_bots_share_candles_computes_features_once_and_stores_each(
    db: Database, clock: ManualClock, artifacts: Artifacts, computations: list[tuple[str, ...]]
) -> None:
    await store_candles(db, {s: f.iloc[:200] for s, f in artifacts.frames.items()})
    await champion_of(db, clock, artifacts.good)
    host = EngineHost(db, clock)

    answers = [await host.predict(_request(f"bot-{n}")) for n in range(5)]

    assert len(computations) == 1
    assert len({tuple(a.values.items()) for a in answers}) == 1  # the same features, same model
    assert await _stored_requests(db) == 5


async def test_predict_when_a_new_candle_arrives_computes_again_at_the_new_time(
    db: Database, clock: ManualClock, artifacts: Artifacts, computations: list[tuple[str, ...]]
) -> None:
    await store_candles(db, {s: f.iloc[:200] for s, f in artifacts.frames.items()})
    await champion_of(db, clock, artifacts.good)
    host = EngineHost(db, clock)
    before = await host.predict(_request("bot-1"))

    await store_candles(db, {s: f.iloc[200:201] for s, f in artifacts.frames.items()})
    after = await host.predict(_request("bot-2"))

    assert len(computations) == 2
    step = pd.Timedelta(
        artifacts.frames[SYMBOLS[0]].index[1] - artifacts.frames[SYMBOLS[0]].index[0]
    )
    assert after.as_of - before.as_of == timedelta(seconds=step.total_seconds())


async def test_predict_when_other_symbols_or_cache_disabled_computes_per_request(
    db: Database, clock: ManualClock, artifacts: Artifacts, computations: list[tuple[str, ...]]
) -> None:
    await store_candles(db, {s: f.iloc[:200] for s, f in artifacts.frames.items()})
    await champion_of(db, clock, artifacts.good)
    host = EngineHost(db, clock)
    await host.predict(_request("bot-1"))
    await host.predict(_request("bot-2", SYMBOLS[:3]))
    uncached = EngineHost(db, clock, policy=ServingPolicy(feature_cache_seconds=0))
    await uncached.predict(_request("bot-3"))
    await uncached.predict(_request("bot-4"))

    assert computations == [SYMBOLS, SYMBOLS[:3], SYMBOLS, SYMBOLS]
