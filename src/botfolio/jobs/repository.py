"""All SQL on the `jobs` table. Every write about a running job is guarded by its claim.

A claim is (job id, lease owner, attempt number): a worker whose lease expired and whose job was
claimed again by someone else finds its guard no longer matches, so its late writes change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from botfolio.jobs.models import Job, JobState

NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker now runs: the guard for its writes plus what the handler needs."""

    id: str
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    lease_owner: str


@dataclass(frozen=True)
class ClaimBatch:
    claimed: list[ClaimedJob]
    lost_and_exhausted: list[tuple[str, str, int]]  # (id, kind, attempts) dead-lettered now


@dataclass(frozen=True)
class KindStateCount:
    kind: str
    state: str
    count: int


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_job_unless_key_exists(session: AsyncSession, values: dict[str, Any]) -> Job | None:
    """INSERT .. ON CONFLICT (idempotency_key) DO NOTHING; None when the key was already taken.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then
    yields to it; on SQLite the write lock taken at BEGIN serialises the two.
    """
    statement = _INSERT_JOB[_dialect(session)]
    return (await session.scalars(statement, [values])).one_or_none()


def _insert_job_statement(dialect_insert: Any) -> Any:
    """Built once per dialect; the row comes as an ORM bulk parameter set, which skips building
    and caching a new statement per job (enqueue sits on every order's hot path)."""
    return (
        dialect_insert(Job)
        .on_conflict_do_nothing(index_elements=[Job.idempotency_key])
        .returning(Job)
    )


_INSERT_JOB = {
    "postgresql": _insert_job_statement(postgresql.insert),
    "sqlite": _insert_job_statement(sqlite.insert),
}


async def get_job(session: AsyncSession, job_id: str) -> Job | None:
    return await session.get(Job, job_id)


async def get_job_by_key(session: AsyncSession, idempotency_key: str) -> Job | None:
    stmt = select(Job).where(Job.idempotency_key == idempotency_key)
    return (await session.scalars(stmt)).one_or_none()


_CLAIM_COLUMNS = (Job.id, Job.kind, Job.payload, Job.state, Job.attempts, Job.max_attempts)


def _expired_leases(kinds: Sequence[str], now: datetime, limit: int) -> Select[Any]:
    """Jobs whose worker stopped renewing (crashed, partitioned): rare, so taken first."""
    return (
        select(*_CLAIM_COLUMNS)
        .where(
            Job.state == JobState.RUNNING,
            Job.lease_expires_at <= now,
            Job.kind.in_(kinds),
        )
        .order_by(Job.lease_expires_at, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _due_queued(kinds: Sequence[str], now: datetime, limit: int) -> Select[Any]:
    """Due jobs in (priority, run_after) order: a walk of the claim index that stops at LIMIT."""
    return (
        select(*_CLAIM_COLUMNS)
        .where(Job.state == JobState.QUEUED, Job.run_after <= now, Job.kind.in_(kinds))
        .order_by(Job.priority, Job.run_after, Job.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


async def claim_due_jobs(
    session: AsyncSession,
    *,
    kinds: Sequence[str],
    now: datetime,
    limit: int,
    lease_owner: str,
    lease_expires_at: datetime,
    default_max_attempts: int,
) -> ClaimBatch:
    """Claim up to `limit` due jobs (queued and due, or running with an expired lease).

    Must run in its own transaction: on PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED so
    concurrent workers pick disjoint rows; on SQLite the engine's BEGIN IMMEDIATE already makes
    this select + update atomic. A job whose worker died on its last allowed attempt is
    dead-lettered here instead of being run again.
    """
    if not kinds or limit < 1:
        return ClaimBatch([], [])
    rows = list((await session.execute(_expired_leases(kinds, now, limit))).all())
    if len(rows) < limit:
        rows += (await session.execute(_due_queued(kinds, now, limit - len(rows)))).all()
    runnable, exhausted = [], []
    for row in rows:
        max_attempts = row.max_attempts or default_max_attempts
        if row.state == JobState.RUNNING and row.attempts >= max_attempts:
            exhausted.append((row.id, row.kind, row.attempts))
        else:
            runnable.append((row, max_attempts))
    if runnable:
        await session.execute(
            update(Job)
            .where(Job.id.in_([row.id for row, _ in runnable]))
            .values(
                state=JobState.RUNNING,
                attempts=Job.attempts + 1,
                lease_owner=lease_owner,
                lease_expires_at=lease_expires_at,
                updated_at=now,
            )
            .execution_options(**NO_SYNC)
        )
    for job_id, _kind, attempts in exhausted:
        await _dead_letter_lost(session, job_id, attempts, now)
    claimed = [
        ClaimedJob(row.id, row.kind, dict(row.payload), row.attempts + 1, max_attempts, lease_owner)
        for row, max_attempts in runnable
    ]
    return ClaimBatch(claimed, exhausted)


async def _dead_letter_lost(
    session: AsyncSession, job_id: str, attempts: int, now: datetime
) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            state=JobState.DEAD,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
            last_error=f"worker lost (lease expired) during attempt {attempts}, the last allowed",
        )
        .execution_options(**NO_SYNC)
    )


def _held(claim: ClaimedJob) -> ColumnElement[bool]:
    return and_(
        Job.id == claim.id,
        Job.state == JobState.RUNNING,
        Job.lease_owner == claim.lease_owner,
        Job.attempts == claim.attempt,
    )


async def _guarded_update(session: AsyncSession, claim: ClaimedJob, **values: Any) -> bool:
    stmt = update(Job).where(_held(claim)).values(**values).returning(Job.id)
    result = await session.execute(stmt.execution_options(**NO_SYNC))
    return result.scalar_one_or_none() is not None


async def renew_lease(
    session: AsyncSession, claim: ClaimedJob, *, now: datetime, lease_expires_at: datetime
) -> bool:
    """Push the lease forward; False means the claim was lost (expired and taken by another)."""
    return await _guarded_update(session, claim, lease_expires_at=lease_expires_at, updated_at=now)


async def mark_succeeded(session: AsyncSession, claim: ClaimedJob, *, now: datetime) -> bool:
    return await _guarded_update(
        session,
        claim,
        state=JobState.SUCCEEDED,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=now,
        updated_at=now,
    )


async def mark_for_retry(
    session: AsyncSession, claim: ClaimedJob, *, now: datetime, run_after: datetime, error: str
) -> bool:
    return await _guarded_update(
        session,
        claim,
        state=JobState.QUEUED,
        lease_owner=None,
        lease_expires_at=None,
        run_after=run_after,
        last_error=error,
        updated_at=now,
    )


async def mark_dead(session: AsyncSession, claim: ClaimedJob, *, now: datetime, error: str) -> bool:
    return await _guarded_update(
        session,
        claim,
        state=JobState.DEAD,
        lease_owner=None,
        lease_expires_at=None,
        last_error=error,
        finished_at=now,
        updated_at=now,
    )


async def release(session: AsyncSession, claim: ClaimedJob, *, now: datetime) -> bool:
    """Hand an unfinished job back (worker shutting down); the attempt is not counted."""
    return await _guarded_update(
        session,
        claim,
        state=JobState.QUEUED,
        attempts=Job.attempts - 1,
        lease_owner=None,
        lease_expires_at=None,
        run_after=now,
        updated_at=now,
    )


async def requeue_dead(session: AsyncSession, job_id: str, *, now: datetime) -> bool:
    """Dead -> queued with a fresh attempt budget; the last error stays for the record."""
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.DEAD)
        .values(
            state=JobState.QUEUED,
            attempts=0,
            run_after=now,
            finished_at=None,
            updated_at=now,
        )
        .returning(Job.id)
        .execution_options(**NO_SYNC)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def list_jobs(
    session: AsyncSession, *, state: str | None, kind: str | None, limit: int
) -> Sequence[Job]:
    stmt = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Job.state == state)
    if kind is not None:
        stmt = stmt.where(Job.kind == kind)
    return (await session.scalars(stmt)).all()


async def count_by_kind_and_state(session: AsyncSession) -> list[KindStateCount]:
    stmt = select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state)
    rows = (await session.execute(stmt)).all()
    return [KindStateCount(kind, state, count) for kind, state, count in rows]


async def oldest_due_queued_run_after(session: AsyncSession, now: datetime) -> datetime | None:
    """When the longest-waiting due job became due: the queue's latency, not its scheduled backlog."""
    stmt = select(func.min(Job.run_after)).where(Job.state == JobState.QUEUED, Job.run_after <= now)
    oldest: datetime | None = (await session.execute(stmt)).scalar_one_or_none()
    return oldest


async def delete_succeeded_before(session: AsyncSession, cutoff: datetime, *, limit: int) -> int:
    """Delete at most `limit` succeeded jobs finished before `cutoff` (dead ones are kept)."""
    ids = (
        select(Job.id)
        .where(Job.state == JobState.SUCCEEDED, Job.finished_at < cutoff)
        .order_by(Job.finished_at)
        .limit(limit)
        .scalar_subquery()
    )
    stmt = delete(Job).where(Job.id.in_(ids)).returning(Job.id).execution_options(**NO_SYNC)
    return len((await session.execute(stmt)).all())
