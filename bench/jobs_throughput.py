"""Jobs enqueued + claimed + completed per second by one worker, against a raw-SQL baseline.

For each database (SQLite file, and PostgreSQL when reachable) and in the same run:
- queue: N `enqueue` transactions, then one Worker (default concurrency) drains them with a no-op
  handler: claim transactions plus one completion transaction per job;
- baseline: N plain INSERT transactions into a scratch table, then N plain UPDATE transactions.
Prints the median of REPEATS rounds of each and the ratio queue/baseline. Tune with BENCH_JOBS,
BENCH_REPEATS, BOTFOLIO_BENCH_PG_DSN.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

from botfolio.clock import SystemClock
from botfolio.config import JobSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.service import enqueue
from botfolio.jobs.worker import Worker
from botfolio.logs import configure_logging

COUNT = int(os.environ.get("BENCH_JOBS", "150"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PG_DSN = os.environ.get("BOTFOLIO_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
SETTINGS = JobSettings(poll_interval_seconds=0.01)


@dataclass(frozen=True)
class Round:
    queue_per_second: float
    baseline_per_second: float


@asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A scratch database, dropped afterwards; None when no PostgreSQL server answers."""
    try:
        admin = await asyncpg.connect(PG_DSN)
    except (OSError, asyncpg.PostgresError):
        yield None
        return
    name = f"botfolio_bench_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        url = f"{url}/{name}"
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _noop(ctx: JobContext, payload: dict[str, Any]) -> None:
    return None


async def queue_round(db: Database) -> float:
    registry = JobRegistry()
    registry.register("bench.noop", _noop)
    clock = SystemClock()
    started = time.perf_counter()
    for n in range(COUNT):
        async with db.transaction() as session:
            await enqueue(session, "bench.noop", {"n": n}, clock=clock)
    await Worker(db, registry, SETTINGS, clock).run_until_idle()
    elapsed = time.perf_counter() - started
    async with db.transaction() as session:
        done = (
            await session.execute(text("SELECT count(*) FROM jobs WHERE state = 'succeeded'"))
        ).scalar_one()
        await session.execute(text("DELETE FROM jobs"))
    if done != COUNT:
        raise RuntimeError(f"worker finished {done} of {COUNT} jobs")
    return COUNT / elapsed


async def baseline_round(db: Database) -> float:
    ids = [new_id() for _ in range(COUNT)]
    started = time.perf_counter()
    for n, row_id in enumerate(ids):
        async with db.transaction() as session:
            await session.execute(
                text("INSERT INTO bench_scratch (id, state, payload) VALUES (:id, 'queued', :p)"),
                {"id": row_id, "p": f'{{"n": {n}}}'},
            )
    for row_id in ids:
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE bench_scratch SET state = 'done' WHERE id = :id"), {"id": row_id}
            )
    elapsed = time.perf_counter() - started
    async with db.transaction() as session:
        await session.execute(text("DELETE FROM bench_scratch"))
    return COUNT / elapsed


async def measure(url: str) -> list[Round]:
    db = Database(url)
    try:
        async with db.transaction() as session:
            await session.execute(
                text(
                    "CREATE TABLE bench_scratch (id VARCHAR(36) PRIMARY KEY, "
                    "state VARCHAR(16) NOT NULL, payload TEXT NOT NULL)"
                )
            )
        rounds = []
        for _ in range(REPEATS):
            rounds.append(Round(await queue_round(db), await baseline_round(db)))
        return rounds
    finally:
        await db.dispose()


def report(backend: str, rounds: list[Round]) -> None:
    queue = statistics.median(r.queue_per_second for r in rounds)
    baseline = statistics.median(r.baseline_per_second for r in rounds)
    print(
        f"{backend:<10} queue {queue:8.0f} jobs/s   raw-SQL baseline {baseline:8.0f} rows/s   "
        f"ratio {queue / baseline:5.2f}   (median of {len(rounds)} x {COUNT})",
        flush=True,
    )


async def run() -> None:
    configure_logging("WARNING")  # per-job info logs would dominate what is measured
    async with sqlite_database() as url:
        report("sqlite", await measure(url))
    async with postgres_database() as pg_url:
        if pg_url is None:
            print(f"postgresql skipped: no server at {PG_DSN}", flush=True)
        else:
            report("postgresql", await measure(pg_url))


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
