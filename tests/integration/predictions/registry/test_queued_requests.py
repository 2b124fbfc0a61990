"""PredictionService with the in-process engine: Pending while no model can serve (one job per
key), the delayed-user notification once past the threshold, completion when a model arrives."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from botfolio.clock import ManualClock
from botfolio.config import JobSettings
from botfolio.db.database import Database
from botfolio.jobs.models import Job
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.notifications.models import Notification
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.models import PredictionRequest, StoredPrediction
from botfolio.predictions.requests import COMPLETE_KIND, PredictionService
from botfolio.predictions.serving_config import QueuePolicy
from botfolio.predictions.serving_types import Pending, Prediction, PredictRequest

from .conftest import SYMBOLS, VENUE, Artifacts, champion_of, store_candles

REQUEST = PredictRequest(symbols=SYMBOLS, venue=VENUE, bot_id="bot-3")


async def _run_jobs(db: Database, service: PredictionService, clock: ManualClock) -> None:
    jobs = JobRegistry()
    service.register_jobs(jobs)
    settings = JobSettings(
        poll_interval_seconds=0.02, backoff_base_seconds=1, backoff_max_seconds=2
    )
    await Worker(db, jobs, settings, clock, concurrency=1).run_until_idle()


async def test_request_when_no_model_serves_is_pending_then_completed_once_a_champion_exists(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    await store_candles(db, {s: f.tail(200) for s, f in artifacts.frames.items()})
    host = EngineHost(db, clock)
    service = PredictionService(db, clock, host, policy=QueuePolicy(notify_after_seconds=60))

    first = await service.request(REQUEST, request_key="bot-3:t1", user_id="user-3")
    second = await service.request(REQUEST, request_key="bot-3:t1", user_id="user-3")
    await _run_jobs(db, service, clock)
    clock.advance(timedelta(seconds=90))
    await _run_jobs(db, service, clock)
    clock.advance(timedelta(seconds=90))
    await _run_jobs(db, service, clock)  # notified once, not twice
    champion = await champion_of(db, clock, artifacts.good)
    await host.refresh()
    clock.advance(timedelta(seconds=5))
    await _run_jobs(db, service, clock)
    final = await service.request(REQUEST, request_key="bot-3:t1")

    assert isinstance(first, Pending) and isinstance(second, Pending)
    assert first.request_id == second.request_id
    assert isinstance(final, Prediction)
    assert (final.request_id, final.model_version_id) == (first.request_id, champion.id)
    async with db.session() as session:
        jobs = (
            await session.execute(select(func.count()).where(Job.kind == COMPLETE_KIND))
        ).scalar_one()
        row = await session.get(PredictionRequest, first.request_id)
        notices = (await session.scalars(select(Notification))).all()
        stored = (
            await session.scalars(
                select(StoredPrediction).where(StoredPrediction.request_id == first.request_id)
            )
        ).all()
    assert jobs == 1
    assert row is not None and row.status == "completed" and row.attempts >= 3
    assert [(n.user_id, n.event) for n in notices] == [("user-3", "predictions.delayed")]
    assert len(stored) == len(SYMBOLS)


async def test_predict_when_the_same_request_id_comes_twice_stores_its_values_once(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    await store_candles(db, {s: f.tail(200) for s, f in artifacts.frames.items()})
    await champion_of(db, clock, artifacts.good)
    host = EngineHost(db, clock)
    request = REQUEST.model_copy(update={"request_id": "0190a3f4-0000-7000-8000-000000000001"})

    await host.predict(request)
    await host.predict(request)  # a client retry after a lost response

    async with db.session() as session:
        count = (
            await session.execute(select(func.count()).select_from(StoredPrediction))
        ).scalar_one()
    assert count == len(SYMBOLS)
