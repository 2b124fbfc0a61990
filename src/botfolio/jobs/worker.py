"""The worker: claims due jobs with a lease and runs up to `concurrency` of them at once.

Claims are atomic across processes (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's write lock
taken at BEGIN IMMEDIATE), so two workers never hold the same job; a job whose worker died is
claimed again once its lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import random
import secrets
import socket
from datetime import timedelta

from botfolio.clock import Clock
from botfolio.config import JobSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError
from botfolio.jobs import repository
from botfolio.jobs.metrics import JOBS_FAILED
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.runner import DB_ERRORS, JobRunner, describe_error
from botfolio.logs import get_logger

log = get_logger(__name__)

MAX_CLAIM_BACKOFF_SECONDS = 30.0
WORKER_ID_MAX_LENGTH = 100  # jobs.lease_owner


def default_worker_id() -> str:
    """host:pid:random, unique per process start, readable in `jobs list` and logs."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Construct one per process; `run()` until `request_stop()` (wired to SIGTERM/SIGINT)."""

    def __init__(
        self,
        db: Database,
        registry: JobRegistry,
        settings: JobSettings,
        clock: Clock,
        *,
        worker_id: str | None = None,
        concurrency: int | None = None,
        shutdown_grace_seconds: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if len(registry) == 0:
            raise ConfigurationError("a worker needs at least one registered job kind")
        self.worker_id = worker_id or default_worker_id()
        if len(self.worker_id) > WORKER_ID_MAX_LENGTH:
            raise ConfigurationError(f"worker id longer than {WORKER_ID_MAX_LENGTH} characters")
        self.concurrency = concurrency or settings.concurrency
        if self.concurrency < 1:
            raise ConfigurationError("worker concurrency must be at least 1")
        self._db = db
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._grace = (
            settings.lease_seconds if shutdown_grace_seconds is None else shutdown_grace_seconds
        )
        self._runner = JobRunner(
            db,
            registry,
            settings,
            clock,
            worker_id=self.worker_id,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not security
        )
        self._active: dict[str, asyncio.Task[None]] = {}
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._claim_failures = 0

    def request_stop(self) -> None:
        """Stop claiming; running jobs get the grace period to finish, then are released."""
        self._stop.set()
        self._wake.set()

    @property
    def active_jobs(self) -> int:
        return len(self._active)

    async def run(self) -> None:
        log.info(
            "worker.started",
            worker_id=self.worker_id,
            kinds=list(self._registry.kinds()),
            concurrency=self.concurrency,
        )
        try:
            while not self._stop.is_set():
                await self._fill_slots()
                full = len(self._active) >= self.concurrency
                await self._sleep(None if full else self._idle_wait_seconds())
        finally:
            await self._shutdown()

    async def run_until_idle(self) -> None:
        """Process jobs until none is due and none is running (tests, benchmarks, one-shot CLI)."""
        try:
            while not self._stop.is_set():
                await self._fill_slots()
                if not self._active:
                    return
                await self._sleep(None)
        finally:
            await self._shutdown()

    def _idle_wait_seconds(self) -> float:
        poll = self._settings.poll_interval_seconds
        if self._claim_failures:
            return min(MAX_CLAIM_BACKOFF_SECONDS, poll * 2**self._claim_failures)
        return poll

    async def _sleep(self, seconds: float | None) -> None:
        """Until woken (a slot freed, stop requested) or `seconds` pass; None waits for a wake."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def _fill_slots(self) -> None:
        free = self.concurrency - len(self._active)
        if free <= 0:
            return
        now = self._clock.now()
        try:
            async with self._db.transaction() as session:
                batch = await repository.claim_due_jobs(
                    session,
                    kinds=self._registry.kinds(),
                    now=now,
                    limit=free,
                    lease_owner=self.worker_id,
                    lease_expires_at=now + timedelta(seconds=self._settings.lease_seconds),
                    default_max_attempts=self._settings.max_attempts,
                )
        except DB_ERRORS as exc:
            self._claim_failures = min(self._claim_failures + 1, 10)
            log.warning("worker.claim_failed", worker_id=self.worker_id, error=describe_error(exc))
            return
        self._claim_failures = 0
        for job_id, kind, attempts in batch.lost_and_exhausted:
            JOBS_FAILED.labels(kind, "dead").inc()
            log.error(
                "job.dead_lettered",
                job_id=job_id,
                kind=kind,
                attempt=attempts,
                error="worker lost on the last allowed attempt",
            )
        for claim in batch.claimed:
            log.info(
                "job.claimed",
                job_id=claim.id,
                kind=claim.kind,
                attempt=claim.attempt,
                worker_id=self.worker_id,
            )
            task = asyncio.create_task(self._runner.run(claim), name=f"job:{claim.id}")
            self._active[claim.id] = task
            task.add_done_callback(functools.partial(self._finished, claim.id))

    def _finished(self, job_id: str, task: asyncio.Task[None]) -> None:
        self._active.pop(job_id, None)
        self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("worker.job_task_crashed", job_id=job_id, exc_info=task.exception())

    async def _shutdown(self) -> None:
        log.info("worker.stopping", worker_id=self.worker_id, active=len(self._active))
        tasks = list(self._active.values())
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self._grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        log.info("worker.stopped", worker_id=self.worker_id)
