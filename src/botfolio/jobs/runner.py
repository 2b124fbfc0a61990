"""Runs one claimed job: the handler, a heartbeat that keeps its lease, and the recorded outcome."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.config import JobSettings
from botfolio.db.database import Database
from botfolio.errors import BotfolioError, OperationalError, UserError
from botfolio.jobs import repository
from botfolio.jobs.backoff import retry_delay
from botfolio.jobs.metrics import JOB_DURATION_SECONDS, JOBS_FAILED, JOBS_PROCESSED
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.repository import ClaimedJob
from botfolio.logs import get_logger

log = get_logger(__name__)

ERROR_TEXT_MAX = 2000
OUTCOME_WRITE_TRIES = 3
DB_ERRORS = (SQLAlchemyError, OSError)


def describe_error(exc: BaseException) -> str:
    """`Type: message`, bounded. Our errors never carry secrets (see errors.py and logs.py)."""
    message = exc.message if isinstance(exc, BotfolioError) else str(exc)
    return f"{type(exc).__name__}: {message}"[:ERROR_TEXT_MAX]


def is_permanent(exc: BaseException) -> bool:
    """User and operational errors will not heal by retrying (errors.py): dead-letter at once."""
    return isinstance(exc, UserError | OperationalError)


class JobRunner:
    """Executes claims for one worker; every write it makes is guarded by the claim."""

    def __init__(
        self,
        db: Database,
        registry: JobRegistry,
        settings: JobSettings,
        clock: Clock,
        *,
        worker_id: str,
        rng: random.Random,
    ) -> None:
        self._db = db
        self._registry = registry
        self._settings = settings
        self._clock = clock
        self._worker_id = worker_id
        self._rng = rng

    def lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self._settings.lease_seconds)

    async def run(self, claim: ClaimedJob) -> None:
        """Run the handler to an outcome. If this task is cancelled (shutdown), release the job."""
        started = time.perf_counter()
        lease_lost = asyncio.Event()
        handler_task = asyncio.create_task(self._call_handler(claim))
        heartbeat = asyncio.create_task(self._keep_lease(claim, handler_task, lease_lost))
        try:
            await asyncio.wait({handler_task})
        except asyncio.CancelledError:
            handler_task.cancel()
            await _stop(heartbeat)
            await asyncio.shield(self._release_after(handler_task, claim))
            raise
        await _stop(heartbeat)  # no renewal may land after the outcome written below
        JOB_DURATION_SECONDS.labels(claim.kind).observe(time.perf_counter() - started)
        if handler_task.cancelled():
            log.warning("job.lease_lost", **_fields(claim), stage="running")
            return
        error = handler_task.exception()
        if error is None:
            await self._record_success(claim)
        else:
            await self._record_failure(claim, error)

    async def _call_handler(self, claim: ClaimedJob) -> None:
        handler = self._registry.get(claim.kind)
        context = JobContext(
            job_id=claim.id,
            kind=claim.kind,
            attempt=claim.attempt,
            max_attempts=claim.max_attempts,
            worker_id=self._worker_id,
            db=self._db,
            clock=self._clock,
        )
        await handler(context, claim.payload)

    async def _keep_lease(
        self, claim: ClaimedJob, handler_task: asyncio.Task[None], lease_lost: asyncio.Event
    ) -> None:
        """Renew every third of the lease. Stop the handler once exclusivity is not certain:

        either another worker now holds the claim, or renewals failed until our own lease ran
        out (another worker may already have claimed the job again).
        """
        interval = self._settings.lease_seconds / 3
        held_until = self.lease_until(self._clock.now())
        while True:
            await asyncio.sleep(interval)
            now = self._clock.now()
            try:
                async with self._db.transaction() as session:
                    renewed = await repository.renew_lease(
                        session, claim, now=now, lease_expires_at=self.lease_until(now)
                    )
            except DB_ERRORS as exc:
                log.warning("job.heartbeat_failed", **_fields(claim), error=describe_error(exc))
                renewed = self._clock.now() < held_until
                if renewed:
                    continue
            if not renewed:
                lease_lost.set()
                handler_task.cancel()
                return
            held_until = self.lease_until(now)

    async def _record_success(self, claim: ClaimedJob) -> None:
        async def write(session: AsyncSession) -> bool:
            return await repository.mark_succeeded(session, claim, now=self._clock.now())

        if await self._write_outcome(claim, write):
            JOBS_PROCESSED.labels(claim.kind).inc()
            log.info("job.succeeded", **_fields(claim))

    async def _record_failure(self, claim: ClaimedJob, error: BaseException) -> None:
        text = describe_error(error)
        if is_permanent(error) or claim.attempt >= claim.max_attempts:
            await self._dead_letter(claim, error, text)
            return
        delay = retry_delay(
            claim.attempt,
            base_seconds=self._settings.backoff_base_seconds,
            max_seconds=self._settings.backoff_max_seconds,
            rng=self._rng,
        )

        async def write(session: AsyncSession) -> bool:
            now = self._clock.now()
            return await repository.mark_for_retry(
                session, claim, now=now, run_after=now + delay, error=text
            )

        if await self._write_outcome(claim, write):
            JOBS_FAILED.labels(claim.kind, "retry").inc()
            log.warning(
                "job.failed",
                **_fields(claim),
                error=text,
                retry_in_seconds=round(delay.total_seconds(), 3),
                exc_info=error,
            )

    async def _dead_letter(self, claim: ClaimedJob, error: BaseException, text: str) -> None:
        async def write(session: AsyncSession) -> bool:
            return await repository.mark_dead(session, claim, now=self._clock.now(), error=text)

        if await self._write_outcome(claim, write):
            JOBS_FAILED.labels(claim.kind, "dead").inc()
            log.error(
                "job.dead_lettered",
                **_fields(claim),
                error=text,
                permanent=is_permanent(error),
                exc_info=error,
            )

    async def _release_after(self, handler_task: asyncio.Task[None], claim: ClaimedJob) -> None:
        """On shutdown: record the outcome if the handler finished anyway, else hand the job back."""
        await asyncio.wait({handler_task})
        if not handler_task.cancelled():
            error = handler_task.exception()
            if error is None:
                await self._record_success(claim)
            else:
                await self._record_failure(claim, error)
            return

        async def write(session: AsyncSession) -> bool:
            return await repository.release(session, claim, now=self._clock.now())

        if await self._write_outcome(claim, write):
            log.info("job.released", **_fields(claim))

    async def _write_outcome(
        self, claim: ClaimedJob, write: Callable[[AsyncSession], Awaitable[bool]]
    ) -> bool:
        """Write with a few retries. If it never lands, the lease expires and the job runs again,
        which its idempotent handler tolerates; a False guard means we no longer hold the claim."""
        for attempt in range(1, OUTCOME_WRITE_TRIES + 1):
            try:
                async with self._db.transaction() as session:
                    held = await write(session)
            except DB_ERRORS as exc:
                log.warning("job.outcome_write_failed", **_fields(claim), error=describe_error(exc))
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if not held:
                log.warning("job.lease_lost", **_fields(claim), stage="finishing")
            return held
        log.error("job.outcome_not_recorded", **_fields(claim))
        return False


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait({task})


def _fields(claim: ClaimedJob) -> dict[str, Any]:
    return {"job_id": claim.id, "kind": claim.kind, "attempt": claim.attempt}
