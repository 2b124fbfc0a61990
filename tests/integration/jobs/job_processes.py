"""A worker or scheduler process for the multi-process tests, configured from BOTFOLIO_* env vars.

Usage: python job_processes.py worker|scheduler. Prints `READY <id>` once built, then runs until
SIGTERM/SIGINT. The `test.record` handler writes each run's start and end to `test_job_runs`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from sqlalchemy import text

from botfolio.clock import SystemClock
from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry, Scheduler
from botfolio.jobs.signals import stop_on_signals
from botfolio.jobs.worker import Worker
from botfolio.logs import configure_logging


async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Record start, sleep (longer on the first attempt if asked), record end."""
    async with ctx.db.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO test_job_runs (job_id, worker_id, attempt, started_at) "
                "VALUES (:job_id, :worker_id, :attempt, :started_at)"
            ),
            {
                "job_id": ctx.job_id,
                "worker_id": ctx.worker_id,
                "attempt": ctx.attempt,
                "started_at": time.time(),
            },
        )
    first = payload.get("sleep_first_attempt")
    await asyncio.sleep(first if first is not None and ctx.attempt == 1 else payload["sleep"])
    async with ctx.db.transaction() as session:
        await session.execute(
            text(
                "UPDATE test_job_runs SET ended_at = :ended_at "
                "WHERE job_id = :job_id AND attempt = :attempt"
            ),
            {"job_id": ctx.job_id, "attempt": ctx.attempt, "ended_at": time.time()},
        )


async def run_worker(settings: Settings, db: Database) -> None:
    registry = JobRegistry()
    registry.register("test.record", record)
    worker = Worker(db, registry, settings.jobs, SystemClock())
    print(f"READY {worker.worker_id}", flush=True)
    with stop_on_signals(worker.request_stop):
        await worker.run()


async def run_scheduler(settings: Settings, db: Database) -> None:
    tasks = PeriodicTaskRegistry()
    tasks.enqueue_every("test.every_half_second", 0.5, "test.noop")
    scheduler = Scheduler(db, tasks, settings.scheduler, SystemClock())
    print(f"READY {scheduler.holder_id}", flush=True)
    with stop_on_signals(scheduler.request_stop):
        await scheduler.run()


async def main(role: str) -> None:
    settings = Settings()
    configure_logging(settings.log.level, json_output=True)
    db = Database.from_settings(settings.database)
    try:
        await (run_worker if role == "worker" else run_scheduler)(settings, db)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
