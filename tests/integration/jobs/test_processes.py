"""Real worker and scheduler processes on one database: exclusivity, crash recovery, failover."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, text

from botfolio.clock import SystemClock
from botfolio.db.database import Database
from botfolio.errors import LeaseLostError
from botfolio.jobs.lease import assert_fencing, current_lease
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.service import enqueue

pytestmark = pytest.mark.slow

WORKER_SETTINGS = {
    "jobs__lease_seconds": "1.0",
    "jobs__poll_interval_seconds": "0.05",
    "jobs__concurrency": "2",
}
TTL_SECONDS = 1.0
SCHEDULER_SETTINGS = {
    "scheduler__lease_ttl_seconds": str(TTL_SECONDS),
    "scheduler__renew_interval_seconds": "0.2",
}
WAIT_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class Run:
    job_id: str
    worker_id: str
    attempt: int
    started_at: float
    ended_at: float | None


@pytest.fixture
async def runs_db(db: Database) -> AsyncIterator[Database]:
    """The test database plus a scratch `test_job_runs` table that the handler writes to."""
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE IF EXISTS test_job_runs"))
        await session.execute(
            text(
                "CREATE TABLE test_job_runs (job_id VARCHAR(36) NOT NULL, "
                "worker_id VARCHAR(100) NOT NULL, attempt INTEGER NOT NULL, "
                "started_at DOUBLE PRECISION NOT NULL, ended_at DOUBLE PRECISION)"
            )
        )
    yield db
    async with db.transaction() as session:
        await session.execute(text("DROP TABLE IF EXISTS test_job_runs"))


async def _runs(db: Database) -> list[Run]:
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT job_id, worker_id, attempt, started_at, ended_at "
                "FROM test_job_runs ORDER BY started_at"
            )
        )
        return [Run(*row) for row in rows.all()]


async def _jobs(db: Database) -> list[Job]:
    async with db.session() as session:
        return list((await session.scalars(select(Job))).all())


async def _wait_until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"gave up waiting for {what}")


async def test_two_worker_processes_when_racing_run_each_job_exactly_once(
    runs_db: Database, db_url: str, spawn: Callable[..., Any]
) -> None:
    workers = [spawn("worker", db_url, **WORKER_SETTINGS) for _ in range(2)]
    clock = SystemClock()
    async with runs_db.transaction() as session:
        for n in range(40):
            await enqueue(session, "test.record", {"n": n, "sleep": 0.03}, clock=clock)

    async def all_done() -> bool:
        return all(job.state == JobState.SUCCEEDED for job in await _jobs(runs_db))

    await _wait_until(all_done, "every job to succeed")
    for worker in workers:
        worker.signal(signal.SIGTERM)
    exit_codes = [worker.wait() for worker in workers]

    runs = await _runs(runs_db)
    jobs = await _jobs(runs_db)
    assert exit_codes == [0, 0]
    assert sorted(run.job_id for run in runs) == sorted(job.id for job in jobs)
    assert all(run.ended_at is not None and run.attempt == 1 for run in runs)
    assert {run.worker_id for run in runs} == {w.ident for w in workers}
    print(f"\njobs per worker: {dict(Counter(run.worker_id for run in runs))}")


async def test_worker_process_when_killed_mid_job_other_worker_reruns_it_after_lease_expiry(
    runs_db: Database, db_url: str, spawn: Callable[..., Any]
) -> None:
    started = [spawn("worker", db_url, **WORKER_SETTINGS) for _ in range(2)]
    workers = {worker.ident: worker for worker in started}
    async with runs_db.transaction() as session:
        job = await enqueue(
            session,
            "test.record",
            {"sleep_first_attempt": 60, "sleep": 0.05},
            clock=SystemClock(),
        )

    async def first_run_started() -> bool:
        return len(await _runs(runs_db)) == 1

    await _wait_until(first_run_started, "the first attempt to start")
    (first,) = await _runs(runs_db)
    killed_at = time.monotonic()
    workers[first.worker_id].signal(signal.SIGKILL)

    async def job_succeeded() -> bool:
        return (await _jobs(runs_db))[0].state == JobState.SUCCEEDED

    await _wait_until(job_succeeded, "the job to succeed on the surviving worker")
    recovered_after = time.monotonic() - killed_at

    runs = await _runs(runs_db)
    (stored,) = await _jobs(runs_db)
    assert stored.id == job.id and stored.attempts == 2
    assert [(r.attempt, r.ended_at is None) for r in runs] == [(1, True), (2, False)]
    assert runs[1].worker_id != first.worker_id
    print(f"\njob recovered {recovered_after:.2f} s after SIGKILL (lease 1.0 s)")


async def _lease_holder(db: Database) -> tuple[str, int] | None:
    async with db.session() as session:
        lease = await current_lease(session, "scheduler")
    return (lease.holder, lease.fencing_token) if lease else None


async def test_scheduler_processes_when_holder_killed_standby_takes_over_and_old_token_is_refused(
    db: Database, db_url: str, spawn: Callable[..., Any]
) -> None:
    first = spawn("scheduler", db_url, **SCHEDULER_SETTINGS)

    async def first_leads() -> bool:
        return (await _lease_holder(db) or ("", 0))[0] == first.ident

    await _wait_until(first_leads, "the first scheduler to take the lease")
    standby = spawn("scheduler", db_url, **SCHEDULER_SETTINGS)
    await asyncio.sleep(3 * 0.2)  # the standby has tried (and failed) to acquire a few times
    old = await _lease_holder(db)
    assert old is not None and old[0] == first.ident

    killed_at = time.monotonic()
    first.signal(signal.SIGKILL)

    async def standby_leads() -> bool:
        return (await _lease_holder(db) or ("", 0))[0] == standby.ident

    await _wait_until(standby_leads, "the standby to take over")
    takeover_seconds = time.monotonic() - killed_at
    print(f"\nscheduler takeover {takeover_seconds:.2f} s after SIGKILL (ttl {TTL_SECONDS} s)")

    new = await _lease_holder(db)
    assert new == (standby.ident, old[1] + 1)
    assert takeover_seconds < 4 * TTL_SECONDS  # sanity bound only, not a performance check
    with pytest.raises(LeaseLostError):
        async with db.transaction() as session:
            await assert_fencing(session, "scheduler", old[1])
            await enqueue(session, "test.late_write", {}, clock=SystemClock())
    jobs = await _jobs(db)
    assert [j for j in jobs if j.kind == "test.late_write"] == []
    assert {j.kind for j in jobs} == {"test.noop"}
    standby.signal(signal.SIGTERM)
    assert standby.wait() == 0


async def test_scheduler_process_when_terminated_hands_lease_over_at_once(
    db: Database, db_url: str, spawn: Callable[..., Any]
) -> None:
    slow_ttl = {**SCHEDULER_SETTINGS, "scheduler__lease_ttl_seconds": "30"}
    first = spawn("scheduler", db_url, **slow_ttl)

    async def first_leads() -> bool:
        return (await _lease_holder(db) or ("", 0))[0] == first.ident

    await _wait_until(first_leads, "the first scheduler to take the lease")
    standby = spawn("scheduler", db_url, **slow_ttl)
    stopped_at = time.monotonic()
    first.signal(signal.SIGTERM)

    async def standby_leads() -> bool:
        return (await _lease_holder(db) or ("", 0))[0] == standby.ident

    await _wait_until(standby_leads, "the standby to take over")
    print(f"\nscheduler handover {time.monotonic() - stopped_at:.2f} s after SIGTERM (ttl 30 s)")
    assert first.wait() == 0
