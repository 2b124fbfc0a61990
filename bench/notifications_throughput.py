"""Deliveries per second by one worker to a local webhook sink, against a plain httpx loop.

Both runs post to the same sink process in the same run; the ratio is what to watch. Uses
PostgreSQL when reachable (BOTFOLIO_BENCH_PG_DSN, default the local trust server), else SQLite.
Target (issue 6): >= 500 deliveries/s and >= 50 % of the plain loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import select

from botfolio.clock import SystemClock
from botfolio.config import JobSettings
from botfolio.db import migrate
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.logs import configure_logging
from botfolio.notifications import channels, service
from botfolio.notifications.delivery import DeliveryDeps
from botfolio.notifications.models import NotificationAttempt
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders
from botfolio.notifications.settings import NotificationSettings
from botfolio.notifications.tasks import register_delivery
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

COUNT = int(os.environ.get("BENCH_NOTIFICATIONS", "3000"))
USERS = 50
CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "32"))
PG_DSN = os.environ.get("BOTFOLIO_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def bench_database() -> AsyncIterator[str]:
    name = f"botfolio_bench_{secrets.token_hex(4)}"
    try:
        admin = await asyncpg.connect(PG_DSN)
    except (OSError, asyncpg.PostgresError):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            await asyncio.to_thread(migrate.upgrade, url)
            yield url
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def start_sink() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "botfolio.notifications.sink"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    return process, line.split(" ", 1)[1]


async def plain_loop(url: str, count: int) -> float:
    """The baseline: one client posting the same kind of body with an idempotency key."""
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        for index in range(count):
            key = f"plain-{index}-{new_id()}"
            body = {"id": key, "event": "order.filled", "title": "t", "body": "b", "data": {}}
            response = await client.post(url, json=body, headers={"Idempotency-Key": key})
            response.raise_for_status()
        return count / (time.perf_counter() - started)


async def seed(db: Database, cipher: FieldCipher, url: str, count: int) -> None:
    clock = SystemClock()
    users = [new_id() for _ in range(USERS)]
    async with db.transaction() as session:
        for user in users:
            await channels.add_channel(
                session, clock, cipher, user_id=user, kind="webhook", destination=url, consent=True
            )
    for start in range(0, count, 500):
        async with db.transaction() as session:
            for index in range(start, min(count, start + 500)):
                await service.queue_notification(
                    session,
                    clock,
                    user_id=users[index % USERS],
                    event="test.message",
                    data={"text": f"message {index}"},
                    dedup_key=f"bench:{index}",
                )


async def worker_run(db: Database, cipher: FieldCipher, count: int) -> float:
    settings = NotificationSettings(
        rate_per_second={},
        max_in_flight=int(os.environ.get("BENCH_IN_FLIGHT", "3")),
        batch_size=int(os.environ.get("BENCH_BATCH", "200")),
    )
    senders = ChannelSenders(settings)
    deps = DeliveryDeps(
        db=db,
        cipher=cipher,
        clock=SystemClock(),
        settings=settings,
        senders=senders,
        limiter=ChannelRateLimiter({}, max_wait_seconds=1.0),
        rng=random.Random(1),
    )
    registry = JobRegistry()
    register_delivery(registry, deps)
    worker = Worker(
        db,
        registry,
        JobSettings(poll_interval_seconds=0.01, concurrency=CONCURRENCY),
        SystemClock(),
        worker_id="bench",
    )
    started = time.perf_counter()
    await worker.run_until_idle()
    elapsed = time.perf_counter() - started
    await senders.aclose()
    async with db.session() as session:
        failed = (
            (
                await session.execute(
                    select(NotificationAttempt.error).where(
                        NotificationAttempt.outcome != "delivered"
                    )
                )
            )
            .scalars()
            .all()
        )
    if failed:
        print(f"  ({len(failed)} failed attempts, e.g. {failed[0]})")
    return count / elapsed


async def run() -> dict[str, float]:
    process, url = start_sink()
    try:
        async with bench_database() as db_url:
            db = Database(db_url, pool_size=CONCURRENCY + 4)
            cipher = FieldCipher(KeyRing.generate())
            try:
                plain = await plain_loop(url, min(COUNT, 2000))
                await seed(db, cipher, url, COUNT)
                worker = await worker_run(db, cipher, COUNT)
            finally:
                await db.dispose()
            backend = db_url.split(":", 1)[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"notifications throughput ({backend}, {COUNT} notifications, concurrency {CONCURRENCY})")
    print(f"  plain httpx loop:   {plain:8.0f} posts/s")
    print(f"  one worker:         {worker:8.0f} deliveries/s")
    print(f"  ratio worker/plain: {worker / plain:8.2f}  (target >= 0.50 and >= 500/s)")
    return {"plain_per_second": plain, "worker_per_second": worker, "ratio": worker / plain}


def main() -> None:
    configure_logging(os.environ.get("BENCH_LOG_LEVEL", "WARNING"), json_output=False)
    asyncio.run(run())


if __name__ == "__main__":
    main()
