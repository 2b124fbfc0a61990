"""The jobs package's own housekeeping: pruning succeeded jobs so the table stays small.

Dead jobs are never pruned here: they wait for an operator (`botfolio jobs retry` or review).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botfolio.jobs import repository
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry
from botfolio.logs import get_logger

log = get_logger(__name__)

PRUNE_KIND = "jobs.prune_succeeded"
PRUNE_INTERVAL_SECONDS = 3600.0
SUCCEEDED_RETENTION = timedelta(days=7)
PRUNE_BATCH = 1000


async def prune_succeeded_jobs(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Delete succeeded jobs older than the retention in small batches (short write locks)."""
    retention_days = float(payload.get("retention_days", SUCCEEDED_RETENTION.days))
    cutoff = ctx.clock.now() - timedelta(days=retention_days)
    total = 0
    while True:
        async with ctx.db.transaction() as session:
            deleted = await repository.delete_succeeded_before(session, cutoff, limit=PRUNE_BATCH)
        total += deleted
        if deleted < PRUNE_BATCH:
            break
    log.info("jobs.pruned", deleted=total, cutoff=cutoff.isoformat())


def register_builtin_jobs(registry: JobRegistry) -> None:
    registry.register(PRUNE_KIND, prune_succeeded_jobs)


def register_builtin_periodic_tasks(tasks: PeriodicTaskRegistry) -> None:
    tasks.enqueue_every(PRUNE_KIND, PRUNE_INTERVAL_SECONDS, PRUNE_KIND)
