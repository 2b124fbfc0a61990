"""The worker in one process: outcomes, retries with backoff, dead-letter, leases and shutdown."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from botfolio.clock import Clock, ManualClock, SystemClock
from botfolio.config import JobSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError, ValidationFailedError
from botfolio.jobs import repository
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.service import enqueue, retry_dead_job
from botfolio.jobs.worker import Worker


async def _enqueue(db: Database, clock: Clock, kind: str, **options: Any) -> str:
    payload = options.pop("payload", {})
    async with db.transaction() as session:
        job = await enqueue(session, kind, payload, clock=clock, **options)
    return job.id


async def _load(db: Database, job_id: str) -> Job:
    async with db.session() as session:
        job = await session.get(Job, job_id)
    assert job is not None
    return job


class Recorder:
    """Handlers that remember what they ran, and can fail on purpose."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    async def ok(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((ctx.job_id, ctx.attempt, payload))

    async def always_fails(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((ctx.job_id, ctx.attempt, payload))
        raise RuntimeError(f"venue down on attempt {ctx.attempt}")

    async def fails_first(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((ctx.job_id, ctx.attempt, payload))
        if ctx.attempt == 1:
            raise TimeoutError("first try times out")

    async def rejects(self, ctx: JobContext, payload: dict[str, Any]) -> None:
        self.calls.append((ctx.job_id, ctx.attempt, payload))
        raise ValidationFailedError("payload names no bot")


def _worker(db: Database, clock: Clock, settings: JobSettings, recorder: Recorder) -> Worker:
    registry = JobRegistry()
    registry.register("test.ok", recorder.ok)
    registry.register("test.always_fails", recorder.always_fails)
    registry.register("test.fails_first", recorder.fails_first)
    registry.register("test.rejects", recorder.rejects)
    return Worker(db, registry, settings, clock, worker_id="w-test")


async def test_worker_when_handler_succeeds_marks_job_succeeded(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    job_id = await _enqueue(db, clock, "test.ok", payload={"bot": "b1"})

    await _worker(db, clock, job_settings, recorder).run_until_idle()

    job = await _load(db, job_id)
    assert recorder.calls == [(job_id, 1, {"bot": "b1"})]
    assert (job.state, job.attempts, job.lease_owner) == (JobState.SUCCEEDED, 1, None)
    assert job.finished_at == clock.now()


async def test_worker_when_handler_fails_once_retries_after_backoff(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    worker = _worker(db, clock, job_settings, recorder)
    job_id = await _enqueue(db, clock, "test.fails_first")

    await worker.run_until_idle()
    after_failure = await _load(db, job_id)
    clock.advance(timedelta(seconds=job_settings.backoff_base_seconds))
    await _worker(db, clock, job_settings, recorder).run_until_idle()

    assert after_failure.state == JobState.QUEUED
    assert after_failure.last_error == "TimeoutError: first try times out"
    assert clock.now() - timedelta(seconds=1) <= after_failure.run_after <= clock.now()
    job = await _load(db, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)
    assert [attempt for _, attempt, _ in recorder.calls] == [1, 2]


async def test_worker_when_handler_always_fails_dead_letters_with_error_and_attempts(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    job_id = await _enqueue(db, clock, "test.always_fails")

    for _ in range(job_settings.max_attempts):
        await _worker(db, clock, job_settings, recorder).run_until_idle()
        clock.advance(timedelta(seconds=job_settings.backoff_max_seconds))

    job = await _load(db, job_id)
    assert job.state == JobState.DEAD
    assert job.attempts == job_settings.max_attempts == len(recorder.calls)
    assert job.last_error == f"RuntimeError: venue down on attempt {job_settings.max_attempts}"
    assert job.finished_at is not None


async def test_worker_when_job_sets_max_attempts_uses_it_over_settings(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    job_id = await _enqueue(db, clock, "test.always_fails", max_attempts=1)

    await _worker(db, clock, job_settings, recorder).run_until_idle()

    job = await _load(db, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 1)


async def test_worker_when_handler_raises_user_error_dead_letters_without_retry(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    job_id = await _enqueue(db, clock, "test.rejects")

    await _worker(db, clock, job_settings, recorder).run_until_idle()

    job = await _load(db, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert job.last_error == "ValidationFailedError: payload names no bot"


async def test_worker_when_job_not_due_or_kind_unknown_leaves_it_queued(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    later = await _enqueue(db, clock, "test.ok", run_after=clock.now() + timedelta(seconds=10))
    foreign = await _enqueue(db, clock, "other.kind")

    await _worker(db, clock, job_settings, recorder).run_until_idle()

    assert recorder.calls == []
    assert (await _load(db, later)).state == JobState.QUEUED
    assert (await _load(db, foreign)).state == JobState.QUEUED


async def test_worker_when_priorities_differ_runs_lower_value_first(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    normal = await _enqueue(db, clock, "test.ok")
    later = await _enqueue(db, clock, "test.ok", priority=5)
    urgent = await _enqueue(db, clock, "test.ok", priority=-1)
    settings = job_settings.model_copy(update={"concurrency": 1})

    await _worker(db, clock, settings, recorder).run_until_idle()

    assert [job_id for job_id, _, _ in recorder.calls] == [urgent, normal, later]


async def test_retry_dead_job_when_dead_requeues_with_fresh_attempts(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    recorder = Recorder()
    job_id = await _enqueue(db, clock, "test.rejects")
    await _worker(db, clock, job_settings, recorder).run_until_idle()

    async with db.transaction() as session:
        await retry_dead_job(session, job_id, clock=clock)

    job = await _load(db, job_id)
    assert (job.state, job.attempts, job.finished_at) == (JobState.QUEUED, 0, None)
    assert job.last_error == "ValidationFailedError: payload names no bot"


async def test_claim_when_lease_expired_gives_job_to_next_worker_and_fences_the_first(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    job_id = await _enqueue(db, clock, "test.ok")
    lease = timedelta(seconds=job_settings.lease_seconds)

    async def claim(owner: str) -> list[repository.ClaimedJob]:
        async with db.transaction() as session:
            batch = await repository.claim_due_jobs(
                session,
                kinds=["test.ok"],
                now=clock.now(),
                limit=5,
                lease_owner=owner,
                lease_expires_at=clock.now() + lease,
                default_max_attempts=3,
            )
        return batch.claimed

    first = await claim("w-1")
    while_leased = await claim("w-2")
    clock.advance(lease)
    second = await claim("w-2")
    async with db.transaction() as session:
        late_write_landed = await repository.mark_succeeded(session, first[0], now=clock.now())

    assert [c.id for c in first] == [job_id] and while_leased == []
    assert [(c.id, c.attempt, c.lease_owner) for c in second] == [(job_id, 2, "w-2")]
    assert late_write_landed is False
    job = await _load(db, job_id)
    assert (job.state, job.lease_owner) == (JobState.RUNNING, "w-2")


async def test_claim_when_worker_lost_on_last_attempt_dead_letters_job(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    job_id = await _enqueue(db, clock, "test.ok", max_attempts=1)
    lease = timedelta(seconds=job_settings.lease_seconds)
    async with db.transaction() as session:
        await repository.claim_due_jobs(
            session,
            kinds=["test.ok"],
            now=clock.now(),
            limit=1,
            lease_owner="w-died",
            lease_expires_at=clock.now() + lease,
            default_max_attempts=3,
        )
    clock.advance(lease)

    await _worker(db, clock, job_settings, Recorder()).run_until_idle()

    job = await _load(db, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert job.last_error is not None and "worker lost" in job.last_error


async def test_worker_when_job_outlives_lease_heartbeat_keeps_it(
    db: Database, job_settings: JobSettings
) -> None:
    clock = SystemClock()
    settings = job_settings.model_copy(update={"lease_seconds": 0.6})
    started = asyncio.Event()

    async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(1.5)

    registry = JobRegistry()
    registry.register("test.slow", slow)
    job_id = await _enqueue(db, clock, "test.slow")
    worker_task = asyncio.create_task(Worker(db, registry, settings, clock).run_until_idle())
    await started.wait()
    await asyncio.sleep(1.0)  # past the original lease: only renewals keep the job ours
    async with db.transaction() as session:
        rival = await repository.claim_due_jobs(
            session,
            kinds=["test.slow"],
            now=clock.now(),
            limit=1,
            lease_owner="rival",
            lease_expires_at=clock.now() + timedelta(seconds=5),
            default_max_attempts=3,
        )
    await worker_task

    assert rival.claimed == []
    job = await _load(db, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 1)


async def test_worker_when_stopped_mid_job_past_grace_releases_it(
    db: Database, job_settings: JobSettings
) -> None:
    clock = SystemClock()
    started = asyncio.Event()

    async def stuck(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(60)

    registry = JobRegistry()
    registry.register("test.stuck", stuck)
    worker = Worker(db, registry, job_settings, clock, shutdown_grace_seconds=0.1)
    job_id = await _enqueue(db, clock, "test.stuck")
    run = asyncio.create_task(worker.run())
    await started.wait()

    worker.request_stop()
    await asyncio.wait_for(run, timeout=10)

    job = await _load(db, job_id)
    assert (job.state, job.attempts, job.lease_owner) == (JobState.QUEUED, 0, None)


async def test_worker_when_stopped_lets_running_job_finish_within_grace(
    db: Database, job_settings: JobSettings
) -> None:
    clock = SystemClock()
    started = asyncio.Event()

    async def short(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(0.2)

    registry = JobRegistry()
    registry.register("test.short", short)
    worker = Worker(db, registry, job_settings, clock, shutdown_grace_seconds=5)
    job_id = await _enqueue(db, clock, "test.short")
    run = asyncio.create_task(worker.run())
    await started.wait()

    worker.request_stop()
    await asyncio.wait_for(run, timeout=10)

    assert (await _load(db, job_id)).state == JobState.SUCCEEDED


@pytest.mark.parametrize(
    ("kinds", "options"),
    [((), {}), (("test.ok",), {"concurrency": -1}), (("test.ok",), {"worker_id": "w" * 101})],
    ids=["no-kinds", "negative-concurrency", "id-too-long"],
)
async def test_worker_when_misconfigured_refuses_to_start(
    db: Database,
    clock: ManualClock,
    job_settings: JobSettings,
    kinds: tuple[str, ...],
    options: dict[str, Any],
) -> None:
    registry = JobRegistry()
    for kind in kinds:
        registry.register(kind, Recorder().ok)

    with pytest.raises(ConfigurationError):
        Worker(db, registry, job_settings, clock, **options)
