"""Pruning of old succeeded jobs, and migration 0001 applied and reverted on a fresh database."""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import inspect, select, update

from botfolio.clock import ManualClock
from botfolio.config import JobSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.jobs.builtin import PRUNE_KIND, register_builtin_jobs
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.service import enqueue
from botfolio.jobs.worker import Worker


async def _finished_job(db: Database, clock: ManualClock, state: JobState, age: timedelta) -> str:
    async with db.transaction() as session:
        job = await enqueue(session, "test.done", {}, clock=clock)
        await session.execute(
            update(Job).where(Job.id == job.id).values(state=state, finished_at=clock.now() - age)
        )
    return job.id


async def test_prune_job_when_run_deletes_old_succeeded_and_keeps_recent_and_dead(
    db: Database, clock: ManualClock, job_settings: JobSettings
) -> None:
    old = await _finished_job(db, clock, JobState.SUCCEEDED, timedelta(days=8))
    recent = await _finished_job(db, clock, JobState.SUCCEEDED, timedelta(days=6))
    dead = await _finished_job(db, clock, JobState.DEAD, timedelta(days=30))
    registry = JobRegistry()
    register_builtin_jobs(registry)
    async with db.transaction() as session:
        prune = await enqueue(session, PRUNE_KIND, {}, clock=clock)

    await Worker(db, registry, job_settings, clock).run_until_idle()

    async with db.session() as session:
        remaining = set((await session.scalars(select(Job.id))).all())
    assert remaining == {recent, dead, prune.id}
    assert old not in remaining


def _table_names(url: str) -> set[str]:
    async def names() -> set[str]:
        db = Database(url)
        try:
            async with db.engine.connect() as conn:
                return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        finally:
            await db.dispose()

    return asyncio.run(names())


def _check_round_trip(url: str) -> None:
    migrate.upgrade(url, "0001")
    created = _table_names(url)
    migrate.downgrade(url, "base")
    after_downgrade = _table_names(url)
    migrate.upgrade(url, "0001")

    assert {"jobs", "scheduler_leases"} <= created
    assert not {"jobs", "scheduler_leases"} & after_downgrade
    assert {"jobs", "scheduler_leases"} <= _table_names(url)


def test_migration_0001_when_reverted_and_reapplied_on_sqlite_round_trips(tmp_path: Path) -> None:
    _check_round_trip(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")


@pytest.mark.skipif(
    "postgresql" not in os.environ.get("BOTFOLIO_TEST_BACKENDS", "sqlite,postgresql"),
    reason="PostgreSQL deselected on purpose with BOTFOLIO_TEST_BACKENDS",
)
def test_migration_0001_when_reverted_and_reapplied_on_postgresql_round_trips() -> None:
    admin_dsn = os.environ.get(
        "BOTFOLIO_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"botfolio_mig_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        _check_round_trip(f"{base}/{name}")
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
