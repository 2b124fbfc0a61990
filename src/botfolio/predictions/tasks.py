"""The prediction engine's jobs and periodic tasks, for the worker and scheduler roles.

Queued requests complete through the predictor role when `predictions.predictor_url` is set,
else through an engine hosted in the worker itself (the embedded default).
"""

from __future__ import annotations

from typing import Protocol

from botfolio.clock import Clock
from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.predictions.client import PredictorClient
from botfolio.predictions.engine_host import EngineHost
from botfolio.predictions.requests import PredictionBackend, PredictionService
from botfolio.predictions.scoring_jobs import ScoringJob
from botfolio.predictions.serving_config import DEFAULT_FAMILY
from botfolio.predictions.serving_jobs import register_prediction_periodic_tasks


class _HasSettings(Protocol):
    settings: Settings
    db: Database
    clock: Clock


class PredictionsRuntime(Protocol):
    settings: Settings
    db: Database
    clock: Clock

    @property
    def predictions(self) -> PredictionService: ...


def backend_for(runtime: _HasSettings) -> PredictionBackend:
    settings = runtime.settings.predictions
    if settings.predictor_url:
        return PredictorClient(
            settings.predictor_url, timeout_seconds=settings.request_timeout_seconds
        )
    return EngineHost(runtime.db, runtime.clock)


def register_jobs(registry: JobRegistry, runtime: PredictionsRuntime) -> None:
    """Queued-request completion and scoring, on the runtime's one PredictionService."""
    runtime.predictions.register_jobs(registry)
    ScoringJob(None, (DEFAULT_FAMILY,)).register(registry)


def register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: PredictionsRuntime) -> None:
    register_prediction_periodic_tasks(tasks)
