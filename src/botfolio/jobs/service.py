"""Use cases on jobs: enqueue in the caller's transaction (outbox), retry a dead job, statistics.

Nothing here commits: the request, job or command that owns the transaction does, so a job
exists exactly when the change that caused it exists.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock, ensure_utc
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError
from botfolio.jobs import repository
from botfolio.jobs.models import JOB_STATES, Job, JobState
from botfolio.jobs.registry import validate_kind
from botfolio.logs import get_logger

log = get_logger(__name__)

IDEMPOTENCY_KEY_MAX_LENGTH = 200
PAYLOAD_MAX_BYTES = 64 * 1024


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int | None = None,
    priority: int = 0,
    clock: Clock,
) -> Job:
    """Add a job inside the caller's transaction; it becomes visible to workers on commit.

    With an `idempotency_key` that already exists, the existing job is returned and nothing is
    added, whatever its state (keys stay taken until a succeeded job is pruned, after 7 days).
    `max_attempts=None` defers to the worker's settings. Lower `priority` runs first among due
    jobs (default 0; negative to jump ahead).
    """
    _validate_request(kind, payload, idempotency_key, max_attempts)
    now = clock.now()
    values = {
        "id": new_id(),
        "kind": kind,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "state": JobState.QUEUED.value,
        "priority": priority,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": ensure_utc(run_after) if run_after is not None else now,
        "created_at": now,
        "updated_at": now,
    }
    job = await repository.insert_job_unless_key_exists(session, values)
    if job is not None:
        return job
    assert idempotency_key is not None  # noqa: S101 - only a keyed insert can be skipped
    return await _existing_for_key(session, idempotency_key, kind)


async def _existing_for_key(session: AsyncSession, idempotency_key: str, kind: str) -> Job:
    existing = await repository.get_job_by_key(session, idempotency_key)
    if existing is None:  # the conflicting row vanished (pruned) between two statements
        raise ConflictError("idempotency key was taken concurrently; retry", key=idempotency_key)
    if existing.kind != kind:
        raise ConflictError(
            f"idempotency key {idempotency_key!r} belongs to a {existing.kind!r} job, not {kind!r}",
            key=idempotency_key,
        )
    log.debug("job.deduplicated", job_id=existing.id, kind=kind)
    return existing


def _validate_request(
    kind: str, payload: dict[str, Any], idempotency_key: str | None, max_attempts: int | None
) -> None:
    validate_kind(kind)
    if not isinstance(payload, dict):
        raise ValidationFailedError("job payload must be a JSON object", kind=kind)
    try:
        encoded = json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationFailedError(
            f"job payload is not plain JSON ({exc}); pass Decimals and times as strings",
            kind=kind,
        ) from exc
    if len(encoded.encode()) > PAYLOAD_MAX_BYTES:
        raise ValidationFailedError(
            f"job payload exceeds {PAYLOAD_MAX_BYTES} bytes; store the data and pass its id",
            kind=kind,
        )
    if idempotency_key is not None and not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
        raise ValidationFailedError(
            f"idempotency key must be 1..{IDEMPOTENCY_KEY_MAX_LENGTH} characters", kind=kind
        )
    if max_attempts is not None and max_attempts < 1:
        raise ValidationFailedError("max_attempts must be at least 1", kind=kind)


async def get_job(session: AsyncSession, job_id: str) -> Job:
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}", job_id=job_id)
    return job


async def retry_dead_job(session: AsyncSession, job_id: str, *, clock: Clock) -> Job:
    """Put a dead-lettered job back in the queue with a fresh attempt budget."""
    job = await get_job(session, job_id)
    if job.state != JobState.DEAD:
        raise ConflictError(
            f"job {job_id} is {job.state}; only dead jobs can be retried", job_id=job_id
        )
    await repository.requeue_dead(session, job_id, now=clock.now())
    await session.refresh(job)
    log.info("job.retried", job_id=job_id, kind=job.kind)
    return job


async def list_jobs(
    session: AsyncSession,
    *,
    state: str | None = None,
    kind: str | None = None,
    limit: int = 50,
) -> Sequence[Job]:
    if state is not None and state not in JOB_STATES:
        raise ValidationFailedError(
            f"unknown job state {state!r}; one of {', '.join(JOB_STATES)}", state=state
        )
    if not 1 <= limit <= 1000:
        raise ValidationFailedError("limit must be between 1 and 1000", limit=limit)
    return await repository.list_jobs(session, state=state, kind=kind, limit=limit)


@dataclass(frozen=True)
class KindStats:
    kind: str
    queued: int
    running: int
    succeeded: int
    dead: int


@dataclass(frozen=True)
class QueueStats:
    by_kind: list[KindStats]
    oldest_due_age_seconds: float | None


async def queue_stats(session: AsyncSession, *, clock: Clock) -> QueueStats:
    now = clock.now()
    counts: dict[str, dict[str, int]] = {}
    for row in await repository.count_by_kind_and_state(session):
        counts.setdefault(row.kind, {})[row.state] = row.count
    by_kind = [
        KindStats(
            kind=kind,
            queued=states.get(JobState.QUEUED, 0),
            running=states.get(JobState.RUNNING, 0),
            succeeded=states.get(JobState.SUCCEEDED, 0),
            dead=states.get(JobState.DEAD, 0),
        )
        for kind, states in sorted(counts.items())
    ]
    oldest = await repository.oldest_due_queued_run_after(session, now)
    age = (now - oldest).total_seconds() if oldest is not None else None
    return QueueStats(by_kind=by_kind, oldest_due_age_seconds=age)
