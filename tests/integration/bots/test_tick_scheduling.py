"""Ticks are enqueued once per (bot, boundary) by the scheduler's leader: a failover in the middle
of ticking enqueues no second tick, and the deposed leader's late write is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from botfolio.audit.service import Actor
from botfolio.bots import service as bots
from botfolio.bots.schemas import BotCreate
from botfolio.bots.tasks import TICK_JOB, enqueue_due_ticks
from botfolio.bots.tick import due_tick
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.errors import LeaseLostError
from botfolio.exchanges.accounts import Credentials, add_account
from botfolio.jobs.lease import acquire_or_renew
from botfolio.jobs.models import Job
from botfolio.jobs.scheduler import TaskContext
from botfolio.runtime import Runtime

NOW = datetime(2026, 11, 2, 12, 7, 30, tzinfo=UTC)


async def _lead(db: Database, holder: str, clock: ManualClock) -> TaskContext:
    async with db.transaction() as session:
        grant = await acquire_or_renew(session, "scheduler", holder, ttl_seconds=5, now=clock.now())
    assert grant is not None
    slot = clock.now().replace(second=0, microsecond=0)
    return TaskContext("bots.schedule_ticks", slot, "scheduler", grant.fencing_token, db, clock)


async def _running_bots(runtime: Runtime, count: int) -> None:
    async with runtime.db.transaction() as session:
        account = await add_account(
            session,
            runtime.clock,
            runtime.cipher,
            actor=Actor.system(),
            user_id="u-s",
            venue="binance",
            label="a",
            creds=Credentials("key-12345678", "secret-12345678"),
        )
        for n in range(count):
            bot = await bots.create_bot(
                session,
                runtime.clock,
                actor=Actor.system(),
                user_id="u-s",
                spec=BotCreate(
                    name=f"b{n}",
                    account_id=account.id,
                    universe=["BTC/USDT"],
                    quote_asset="USDT",
                    budget=Decimal("100"),
                    timeframe="5m",
                ),
            )
            await bots.change_status(
                session, runtime.clock, actor=Actor.system(), bot=bot, command="start"
            )


async def _tick_jobs(db: Database) -> list[Job]:
    async with db.session() as session:
        return list((await session.execute(select(Job).where(Job.kind == TICK_JOB))).scalars())


async def test_failover_mid_ticking_enqueues_each_tick_once_and_fences_old_leader(
    runtime: Runtime,
) -> None:
    clock = ManualClock(NOW)
    runtime.clock = clock
    await _running_bots(runtime, 3)
    old_leader = await _lead(runtime.db, "scheduler-a", clock)
    assert await enqueue_due_ticks(old_leader) == 3

    clock.advance(timedelta(seconds=6))  # the leader stopped renewing: its lease lapsed
    new_leader = await _lead(runtime.db, "scheduler-b", clock)
    assert new_leader.fencing_token == old_leader.fencing_token + 1
    await enqueue_due_ticks(new_leader)  # same boundary: the idempotency keys hold

    jobs = await _tick_jobs(runtime.db)
    assert len(jobs) == 3
    assert {j.payload["tick_at"] for j in jobs} == {due_tick(NOW, "5m", 1).isoformat()}
    with pytest.raises(LeaseLostError):
        await enqueue_due_ticks(old_leader)
    assert len(await _tick_jobs(runtime.db)) == 3


def test_due_tick_aligns_to_candle_closes() -> None:
    assert due_tick(NOW, "5m", 1) == datetime(2026, 11, 2, 12, 5, tzinfo=UTC)
    assert due_tick(NOW, "5m", 3) == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert due_tick(NOW, "1h", 1) == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
