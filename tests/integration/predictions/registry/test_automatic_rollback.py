"""Automatic rollback, one test per trigger: load failure, a raising model, NaN output,
out-of-range output, a latency budget breached over a window, live under-performance.

Each test checks that traffic returned to the previous model at once (the same request is
answered by it), that the registry recorded the rollback, and that a critical alert was queued.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from botfolio.alerts.models import Alert
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.predictions import registry
from botfolio.predictions.artifacts import LoadedModel, load_artifact
from botfolio.predictions.canary import routes_to_canary
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.models import ModelState, StoredPrediction
from botfolio.predictions.scoring import check_live_performance, score_due_predictions
from botfolio.predictions.serving_config import DEFAULT_FAMILY, ServingPolicy
from botfolio.predictions.serving_types import PredictRequest

from .conftest import (
    OPERATOR,
    SYMBOLS,
    VENUE,
    Artifacts,
    champion_of,
    register,
    state_of,
    store_candles,
)

REQUEST = PredictRequest(symbols=SYMBOLS, venue=VENUE, bot_id="bot-1")


@pytest.fixture
async def candles(db: Database, artifacts: Artifacts) -> None:
    await store_candles(db, {s: f.tail(200) for s, f in artifacts.frames.items()})


async def _promote(
    db: Database, clock: ManualClock, version_id: str, to: ModelState, **kw: Any
) -> None:
    async with db.transaction() as session:
        await registry.promote(session, clock, version_id, to=to, actor=OPERATOR, **kw)


async def _forced_champion(db: Database, clock: ManualClock, path: Path) -> str:
    version = await register(db, clock, path)
    await _promote(db, clock, version.id, ModelState.CHAMPION, force=True, reason="test setup")
    return version.id


async def _critical_alerts(db: Database) -> list[dict[str, Any]]:
    async with db.session() as session:
        alerts = await session.scalars(select(Alert).where(Alert.rule == "predictions.rollback"))
        return [a.details for a in alerts if a.severity == "critical"]


async def _assert_rolled_back(db: Database, bad: str, restored: str, trigger: str) -> None:
    assert await state_of(db, bad) == ModelState.RETIRED
    assert await state_of(db, restored) == ModelState.CHAMPION
    alerts = await _critical_alerts(db)
    assert [(a["version_id"], a["trigger"]) for a in alerts] == [(bad, trigger)]


async def test_rollback_when_champion_artifact_fails_to_load_serves_previous_champion(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None, tmp_path: Path
) -> None:
    previous = await champion_of(db, clock, artifacts.worse)
    copy = tmp_path / "good"
    shutil.copytree(artifacts.good, copy)
    current = await register(db, clock, copy)
    await _promote(db, clock, current.id, ModelState.CHAMPION)
    (copy / "model.txt").write_text("tree\nbroken\n")  # the disk went bad after registration
    host = EngineHost(db, clock)

    prediction = await host.predict(REQUEST)

    assert prediction.model_version_id == previous.id
    await _assert_rolled_back(db, current.id, previous.id, "load_failed")


class _RaisingBooster:
    def predict(self, data: Any) -> Any:
        raise RuntimeError("segmentation of the model failed")


async def test_rollback_when_champion_raises_answers_same_request_with_previous_champion(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    previous = await champion_of(db, clock, artifacts.good)
    current = await _forced_champion(db, clock, artifacts.other)

    def loader(path: Path) -> LoadedModel:
        loaded = load_artifact(path)
        if path == artifacts.other.resolve():
            return LoadedModel(booster=_RaisingBooster(), metadata=loaded.metadata)  # type: ignore[arg-type]
        return loaded

    host = EngineHost(db, clock, loader=loader)

    prediction = await host.predict(REQUEST)

    assert prediction.model_version_id == previous.id
    await _assert_rolled_back(db, current, previous.id, "raised")
    async with db.session() as session:
        stored = (await session.scalars(select(StoredPrediction))).all()
    assert {p.model_version_id for p in stored} == {previous.id}
    assert len(stored) == len(SYMBOLS)


async def test_rollback_when_champion_returns_nan_serves_previous_champion_at_once(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    previous = await champion_of(db, clock, artifacts.good)
    current = await _forced_champion(db, clock, artifacts.nan_output)
    host = EngineHost(db, clock)

    prediction = await host.predict(REQUEST)

    assert prediction.model_version_id == previous.id
    assert all(abs(v) < 0.5 for v in prediction.values.values())
    await _assert_rolled_back(db, current, previous.id, "invalid_output")


def _bot_on_canary(share: float) -> str:
    return next(
        f"bot-{i}" for i in range(1000) if routes_to_canary(DEFAULT_FAMILY, f"bot-{i}", share)
    )


async def test_rollback_when_canary_returns_out_of_range_values_retires_it_and_keeps_champion(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    champion = await champion_of(db, clock, artifacts.good)
    canary = await register(db, clock, artifacts.huge_output)
    await _promote(db, clock, canary.id, ModelState.CANARY, share=0.5, force=True, reason="test")
    host = EngineHost(db, clock)
    request = REQUEST.model_copy(update={"bot_id": _bot_on_canary(0.5)})

    prediction = await host.predict(request)

    assert prediction.model_version_id == champion.id
    assert await state_of(db, canary.id) == ModelState.RETIRED
    assert await state_of(db, champion.id) == ModelState.CHAMPION
    alerts = await _critical_alerts(db)
    assert [(a["version_id"], a["trigger"]) for a in alerts] == [(canary.id, "invalid_output")]
    await host.refresh()
    assert host.engine.canary is None


class _SlowTimer:
    """perf_counter stand-in: each scoring call appears to take `seconds_per_call`."""

    def __init__(self, seconds_per_call: float) -> None:
        self.now = 0.0
        self.step = seconds_per_call / 2

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def test_rollback_when_latency_budget_breached_over_window_but_not_after_one_slow_call(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    previous = await champion_of(db, clock, artifacts.worse)
    current = await _forced_champion(db, clock, artifacts.good)
    policy = ServingPolicy(latency_budget_seconds=0.05, latency_window=5, latency_breach_share=0.6)
    timer = _SlowTimer(0.2)
    host = EngineHost(db, clock, policy=policy, timer=timer)

    first = await host.predict(REQUEST)
    answered_by = [first.model_version_id]
    assert await state_of(db, current) == ModelState.CHAMPION  # one slow call is not a breach
    for _ in range(5):
        answered_by.append((await host.predict(REQUEST)).model_version_id)

    assert answered_by[:5] == [current] * 5
    assert answered_by[5] == previous.id
    await _assert_rolled_back(db, current, previous.id, "latency_budget")


async def _insert_predictions(
    db: Database, clock: ManualClock, version_id: str, value: float, artifacts: Artifacts
) -> None:
    frame = artifacts.frames[SYMBOLS[0]].tail(200)
    times = list(frame.index[:150])
    async with db.transaction() as session:
        session.add_all(
            StoredPrediction(
                id=new_id(),
                model_version_id=version_id,
                venue=VENUE,
                symbol=SYMBOLS[0],
                timeframe="5m",
                horizon=6,
                as_of=moment.to_pydatetime(),
                value=value,
                made_at=clock.now(),
            )
            for moment in times
        )


async def test_rollback_when_champion_underperforms_previous_on_live_scores(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    previous = await champion_of(db, clock, artifacts.worse)
    await _insert_predictions(db, clock, previous.id, 0.0, artifacts)
    current = await _forced_champion(db, clock, artifacts.good)
    await _insert_predictions(db, clock, current, 0.3, artifacts)
    clock.advance(timedelta(days=1))
    policy = ServingPolicy(live_window=100)

    async with db.transaction() as session:
        scored = await score_due_predictions(session, clock)
    async with db.transaction() as session:
        outcomes = await check_live_performance(session, clock, DEFAULT_FAMILY, policy)

    assert scored == 300
    assert [
        (o.rolled_back.id, o.restored.id) for o in outcomes if o.rolled_back and o.restored
    ] == [(current, previous.id)]
    await _assert_rolled_back(db, current, previous.id, "live_underperformance")
    host = EngineHost(db, clock)
    assert (await host.predict(REQUEST)).model_version_id == previous.id


async def test_live_check_when_champion_is_as_good_as_previous_changes_nothing(
    db: Database, clock: ManualClock, artifacts: Artifacts, candles: None
) -> None:
    previous = await champion_of(db, clock, artifacts.worse)
    await _insert_predictions(db, clock, previous.id, 0.0, artifacts)
    current = await _forced_champion(db, clock, artifacts.good)
    await _insert_predictions(db, clock, current, 0.0, artifacts)

    async with db.transaction() as session:
        await score_due_predictions(session, clock)
    async with db.transaction() as session:
        outcomes = await check_live_performance(
            session, clock, DEFAULT_FAMILY, ServingPolicy(live_window=100)
        )

    assert outcomes == []
    assert await state_of(db, current) == ModelState.CHAMPION
