"""Leader lease (acquire, renew, takeover, fencing) and the scheduler's periodic tasks, in process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from botfolio.clock import ManualClock
from botfolio.config import SchedulerSettings
from botfolio.db.database import Database
from botfolio.errors import ConfigurationError, LeaseLostError
from botfolio.jobs.lease import acquire_or_renew, assert_fencing, current_lease, release_lease
from botfolio.jobs.models import Job
from botfolio.jobs.scheduler import PeriodicTaskRegistry, Scheduler, TaskContext
from botfolio.jobs.service import enqueue

TTL = 5.0
SETTINGS = SchedulerSettings(lease_ttl_seconds=TTL, renew_interval_seconds=1.0)


async def _grant(db: Database, holder: str, clock: ManualClock) -> int | None:
    async with db.transaction() as session:
        grant = await acquire_or_renew(session, "test", holder, ttl_seconds=TTL, now=clock.now())
    return grant.fencing_token if grant else None


async def _jobs(db: Database) -> list[Job]:
    async with db.session() as session:
        return list((await session.scalars(select(Job).order_by(Job.created_at))).all())


async def test_lease_when_free_grants_first_token_and_refuses_others_until_expiry(
    db: Database, clock: ManualClock
) -> None:
    first = await _grant(db, "a", clock)
    clock.advance(TTL - 0.001)
    refused = await _grant(db, "b", clock)

    assert (first, refused) == (1, None)


async def test_lease_when_holder_renews_keeps_token_and_extends_expiry(
    db: Database, clock: ManualClock
) -> None:
    await _grant(db, "a", clock)
    clock.advance(TTL - 1)
    renewed = await _grant(db, "a", clock)
    clock.advance(TTL - 1)
    standby = await _grant(db, "b", clock)

    assert (renewed, standby) == (1, None)


async def test_lease_when_expired_is_taken_over_with_next_token(
    db: Database, clock: ManualClock
) -> None:
    await _grant(db, "a", clock)
    clock.advance(TTL)
    taken = await _grant(db, "b", clock)
    deposed = await _grant(db, "a", clock)

    assert (taken, deposed) == (2, None)
    async with db.session() as session:
        lease = await current_lease(session, "test")
    assert lease is not None and (lease.holder, lease.fencing_token) == ("b", 2)


async def test_lease_when_released_can_be_taken_at_once(db: Database, clock: ManualClock) -> None:
    await _grant(db, "a", clock)
    async with db.transaction() as session:
        released = await release_lease(session, "test", "a", now=clock.now())

    assert released is True
    assert await _grant(db, "b", clock) == 2


async def test_assert_fencing_when_token_stale_raises_and_rolls_back_the_write(
    db: Database, clock: ManualClock
) -> None:
    old_token = await _grant(db, "a", clock)
    clock.advance(TTL)
    await _grant(db, "b", clock)
    assert old_token is not None

    with pytest.raises(LeaseLostError):
        async with db.transaction() as session:
            await assert_fencing(session, "test", old_token)
            await enqueue(session, "test.noop", {}, clock=clock)

    assert await _jobs(db) == []


async def test_assert_fencing_when_token_current_lets_the_write_commit(
    db: Database, clock: ManualClock
) -> None:
    token = await _grant(db, "a", clock)
    assert token is not None

    async with db.transaction() as session:
        await assert_fencing(session, "test", token)
        await enqueue(session, "test.noop", {}, clock=clock)

    assert len(await _jobs(db)) == 1


def _scheduler(db: Database, clock: ManualClock, holder: str) -> Scheduler:
    tasks = PeriodicTaskRegistry()
    tasks.enqueue_every("test.every_minute", 60, "test.tick", {"scope": "all"})
    return Scheduler(db, tasks, SETTINGS, clock, holder_id=holder, lease_name="test")


async def test_scheduler_when_leader_enqueues_each_slot_once(
    db: Database, clock: ManualClock
) -> None:
    clock.set(clock.now().replace(minute=0, second=10))
    leader = _scheduler(db, clock, "a")
    standby = _scheduler(db, clock, "b")

    await leader.tick()
    await standby.tick()
    clock.advance(30)
    await leader.tick()
    clock.advance(30)
    await leader.tick()

    jobs = await _jobs(db)
    assert (leader.is_leader, standby.is_leader) == (True, False)
    assert [job.idempotency_key for job in jobs] == [
        "test.every_minute:2026-01-01T00:00:00+00:00",
        "test.every_minute:2026-01-01T00:01:00+00:00",
    ]
    assert jobs[0].payload == {"scope": "all", "slot": "2026-01-01T00:00:00+00:00"}


async def test_scheduler_when_leader_stops_renewing_standby_takes_over_without_duplicates(
    db: Database, clock: ManualClock
) -> None:
    leader = _scheduler(db, clock, "a")
    standby = _scheduler(db, clock, "b")
    await leader.tick()
    clock.advance(TTL)

    await standby.tick()
    await leader.tick()

    assert (standby.is_leader, standby.fencing_token, leader.is_leader) == (True, 2, False)
    assert len(await _jobs(db)) == 1  # the same slot re-run by the new leader de-duplicates


async def test_scheduler_when_deposed_mid_task_refuses_its_write(
    db: Database, clock: ManualClock
) -> None:
    refused: list[LeaseLostError] = []
    tasks = PeriodicTaskRegistry()

    async def slow_task(ctx: TaskContext) -> None:
        clock.advance(TTL)  # the holder stalls past its TTL ...
        await _grant(db, "rival", clock)  # ... and a standby takes over
        try:
            async with ctx.fenced_transaction() as session:
                await enqueue(session, "test.tick", {}, clock=ctx.clock)
        except LeaseLostError as exc:
            refused.append(exc)
            raise

    tasks.register("test.slow", 60, slow_task)
    leader = Scheduler(db, tasks, SETTINGS, clock, holder_id="a", lease_name="test")

    await leader.tick()

    assert len(refused) == 1 and leader.is_leader is False
    assert await _jobs(db) == []


async def test_scheduler_when_task_fails_retries_it_next_tick_and_runs_the_others(
    db: Database, clock: ManualClock
) -> None:
    calls: list[str] = []
    tasks = PeriodicTaskRegistry()

    async def flaky(ctx: TaskContext) -> None:
        calls.append("flaky")
        if len(calls) == 1:
            raise RuntimeError("transient")

    async def steady(ctx: TaskContext) -> None:
        calls.append("steady")

    tasks.register("test.flaky", 3600, flaky)
    tasks.register("test.steady", 3600, steady)
    scheduler = Scheduler(db, tasks, SETTINGS, clock, holder_id="a", lease_name="test")

    await scheduler.tick()
    clock.advance(timedelta(seconds=1))
    await scheduler.tick()

    assert calls == ["flaky", "steady", "flaky"]


@pytest.mark.parametrize(
    ("scheduler_settings", "holder"),
    [
        (SchedulerSettings(lease_ttl_seconds=1.0, renew_interval_seconds=1.0), "a"),
        (SETTINGS, "h" * 201),
    ],
    ids=["renew-not-shorter-than-ttl", "holder-too-long"],
)
async def test_scheduler_when_misconfigured_refuses_to_start(
    db: Database, clock: ManualClock, scheduler_settings: SchedulerSettings, holder: str
) -> None:
    with pytest.raises(ConfigurationError):
        Scheduler(db, PeriodicTaskRegistry(), scheduler_settings, clock, holder_id=holder)
