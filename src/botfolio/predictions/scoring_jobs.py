"""The periodic job that scores stored predictions and applies the live under-performance rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.logs import get_logger
from botfolio.predictions.scoring import check_live_performance, score_due_predictions
from botfolio.predictions.serving_config import DEFAULT_FAMILY, ServingPolicy

log = get_logger(__name__)

SCORE_KIND = "predictions.score"
SCORE_INTERVAL_SECONDS = 300.0


class ScoringJob:
    """Scores in one transaction, then checks each family in its own (a rollback is its own unit)."""

    def __init__(
        self, policy: ServingPolicy | None = None, families: Sequence[str] = (DEFAULT_FAMILY,)
    ) -> None:
        self.policy = policy or ServingPolicy()
        self.families = tuple(families)

    async def __call__(self, ctx: JobContext, _payload: dict[str, Any]) -> None:
        async with ctx.db.transaction() as session:
            settled = await score_due_predictions(session, ctx.clock)
        for family in self.families:
            async with ctx.db.transaction() as session:
                outcomes = await check_live_performance(session, ctx.clock, family, self.policy)
            for outcome in outcomes:
                log.warning(
                    "prediction.live_rollback",
                    family=family,
                    version_id=outcome.rolled_back.id if outcome.rolled_back else None,
                )
        log.info("prediction.scored", settled=settled)

    def register(self, registry: JobRegistry) -> None:
        registry.register(SCORE_KIND, self)

    @staticmethod
    def register_periodic(tasks: PeriodicTaskRegistry) -> None:
        tasks.enqueue_every(SCORE_KIND, SCORE_INTERVAL_SECONDS, SCORE_KIND)
