"""enqueue: the job commits with the caller's transaction, de-duplicates by key, refuses bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.errors import ConflictError, ValidationFailedError
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.service import enqueue


async def _count_jobs(db: Database) -> int:
    async with db.session() as session:
        return (await session.execute(select(func.count()).select_from(Job))).scalar_one()


class _Boom(Exception):
    pass


async def test_enqueue_when_transaction_rolls_back_leaves_no_job(
    db: Database, clock: ManualClock
) -> None:
    with pytest.raises(_Boom):
        async with db.transaction() as session:
            await enqueue(session, "test.noop", {"n": 1}, clock=clock)
            raise _Boom

    assert await _count_jobs(db) == 0


async def test_enqueue_when_transaction_commits_stores_queued_job(
    db: Database, clock: ManualClock
) -> None:
    later = clock.now() + timedelta(minutes=5)

    async with db.transaction() as session:
        job = await enqueue(
            session, "test.noop", {"n": 1}, run_after=later, max_attempts=7, clock=clock
        )

    async with db.session() as session:
        stored = await session.get(Job, job.id)
    assert stored is not None
    assert (stored.state, stored.attempts, stored.max_attempts) == (JobState.QUEUED, 0, 7)
    assert stored.payload == {"n": 1}
    assert stored.run_after == later
    assert stored.created_at == clock.now()


async def test_enqueue_when_idempotency_key_repeats_returns_existing_job(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as session:
        first = await enqueue(session, "test.noop", {"n": 1}, idempotency_key="k:1", clock=clock)
    async with db.transaction() as session:
        second = await enqueue(session, "test.noop", {"n": 2}, idempotency_key="k:1", clock=clock)
        same_txn = await enqueue(session, "test.noop", {"n": 3}, idempotency_key="k:1", clock=clock)

    assert second.id == first.id == same_txn.id
    assert second.payload == {"n": 1}
    assert await _count_jobs(db) == 1


async def test_enqueue_when_key_belongs_to_other_kind_raises_conflict(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as session:
        await enqueue(session, "test.noop", {}, idempotency_key="k:2", clock=clock)

    with pytest.raises(ConflictError):
        async with db.transaction() as session:
            await enqueue(session, "test.other", {}, idempotency_key="k:2", clock=clock)

    assert await _count_jobs(db) == 1


@pytest.mark.parametrize(
    ("kind", "payload", "extra"),
    [
        ("Not A Kind", {}, {}),
        ("test.noop", {"amount": object()}, {}),
        ("test.noop", {"x": float("nan")}, {}),
        ("test.noop", {}, {"max_attempts": 0}),
        ("test.noop", {}, {"idempotency_key": ""}),
        ("test.noop", {"blob": "x" * 70_000}, {}),
    ],
    ids=["bad-kind", "not-json", "nan", "zero-attempts", "empty-key", "too-large"],
)
async def test_enqueue_when_input_invalid_raises_and_adds_nothing(
    db: Database, clock: ManualClock, kind: str, payload: dict[str, object], extra: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailedError):
        async with db.transaction() as session:
            await enqueue(session, kind, payload, clock=clock, **extra)  # type: ignore[arg-type]

    assert await _count_jobs(db) == 0
