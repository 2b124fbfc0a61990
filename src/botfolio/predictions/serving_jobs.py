"""One-call wiring of the prediction engine's jobs and periodic tasks into a worker/scheduler."""

from __future__ import annotations

from collections.abc import Sequence

from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.predictions import requests
from botfolio.predictions.requests import PredictionBackend, PredictionService
from botfolio.predictions.scoring_jobs import ScoringJob
from botfolio.predictions.serving_config import DEFAULT_FAMILY, QueuePolicy, ServingPolicy


def register_prediction_jobs(
    jobs: JobRegistry,
    db: Database,
    clock: Clock,
    backend: PredictionBackend,
    *,
    serving: ServingPolicy | None = None,
    queue: QueuePolicy | None = None,
    families: Sequence[str] = (DEFAULT_FAMILY,),
) -> PredictionService:
    """Queued-request completion, delayed-user sweep and scoring; returns the service bots use.

    `backend` is an `EngineHost` (embedded default) or a `PredictorClient` (predictor role).
    """
    service = PredictionService(db, clock, backend, policy=queue)
    service.register_jobs(jobs)
    ScoringJob(serving, families).register(jobs)
    return service


def register_prediction_periodic_tasks(tasks: PeriodicTaskRegistry) -> None:
    requests.register_periodic_tasks(tasks)
    ScoringJob.register_periodic(tasks)
