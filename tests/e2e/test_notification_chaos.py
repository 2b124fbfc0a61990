"""Chaos: 10,000 notifications, 30 % of webhook attempts fail, one worker process is SIGKILLed
mid-way; every notification ends delivered or dead-lettered with an alert, none is lost.

Run as a script (`python test_notification_chaos.py worker DB_URL KEYRING_JSON`) this file is the
worker process: a job worker with the dispatch handler and a scheduler that enqueues the periodic
dispatch, exactly as `botfolio worker` + `botfolio scheduler` would.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from botfolio.alerts.models import Alert
from botfolio.clock import SystemClock
from botfolio.config import JobSettings, SchedulerSettings
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.notifications import channels, service
from botfolio.notifications.models import Notification, NotificationAttempt
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing

TOTAL = 10_000
USERS = 100
FAIL_RATE = 0.3
KILL_AFTER_FINISHED = 3_000
DEADLINE_SECONDS = 420


@pytest.fixture
def sink_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "botfolio.notifications.sink",
            "--fail-rate",
            str(FAIL_RATE),
            "--seed",
            "7",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().split(" ", 1)[1].strip()
    yield process, url
    process.terminate()
    process.wait(timeout=10)


async def _seed(db: Database, cipher: FieldCipher, url: str) -> None:
    """Half the users have one webhook channel, half have two (the second is the fallback)."""
    clock = SystemClock()
    users = [new_id() for _ in range(USERS)]
    async with db.transaction() as session:
        for index, user in enumerate(users):
            for _ in range(1 + index % 2):
                await channels.add_channel(
                    session,
                    clock,
                    cipher,
                    user_id=user,
                    kind="webhook",
                    destination=url,
                    consent=True,
                )
    for start in range(0, TOTAL, 1000):
        async with db.transaction() as session:
            for index in range(start, start + 1000):
                await service.queue_notification(
                    session,
                    clock,
                    user_id=users[index % USERS],
                    event="test.message",
                    data={"text": f"chaos {index}"},
                    dedup_key=f"chaos:{index}",
                )


async def _count(db: Database, *where: object) -> int:
    async with db.session() as session:
        stmt = select(func.count()).select_from(Notification)
        for condition in where:
            stmt = stmt.where(condition)  # type: ignore[arg-type]
        return int(await session.scalar(stmt) or 0)


def _start_worker(db_url: str, ring: KeyRing, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "worker", db_url, ring.to_json(), name],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_until(db: Database, condition_count: int, *where: object) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while await _count(db, *where) < condition_count:
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {condition_count} notifications")
        await asyncio.sleep(0.5)


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_chaos_when_30_percent_fail_and_a_worker_is_killed_nothing_is_lost(
    postgres_url: str, sink_process: tuple[subprocess.Popen[str], str]
) -> None:
    from ..conftest import empty_all_tables  # here: this file also runs as the workers' script

    await empty_all_tables(postgres_url)
    _, sink_url = sink_process
    ring = KeyRing.generate()
    db = Database(postgres_url)
    try:
        await _seed(db, FieldCipher(ring), sink_url)
        started = time.monotonic()
        victim = _start_worker(postgres_url, ring, "victim")
        survivor = _start_worker(postgres_url, ring, "survivor")
        try:
            await _wait_until(db, KILL_AFTER_FINISHED, Notification.status != "queued")
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            await _wait_until(db, TOTAL, Notification.status != "queued")
        finally:
            for process in (victim, survivor):
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=30)
        elapsed = time.monotonic() - started
        await _assert_nothing_lost(db, sink_url, elapsed)
    finally:
        await db.dispose()


async def _assert_nothing_lost(db: Database, sink_url: str, elapsed: float) -> None:
    async with httpx.AsyncClient() as client:
        stats = (await client.get(sink_url)).json()
    received = set(stats["keys"])
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Notification.id, Notification.status, Notification.alert_id)
            )
        ).all()
        alert_ids = set((await session.scalars(select(Alert.id))).all())
        delivered_attempts = set(
            (
                await session.scalars(
                    select(NotificationAttempt.notification_id).where(
                        NotificationAttempt.outcome == "delivered"
                    )
                )
            ).all()
        )
        victim_attempts = await session.scalar(
            select(func.count()).where(NotificationAttempt.worker_id.startswith("victim"))
        )
    delivered = {r.id for r in rows if r.status == "delivered"}
    dead = [r for r in rows if r.status == "dead"]
    print(
        f"\nchaos: {len(delivered)} delivered, {len(dead)} dead-lettered in {elapsed:.1f} s; "
        f"sink saw {stats['posts']} posts, {stats['failed']} failed on purpose, "
        f"{stats['duplicates']} duplicate deliveries absorbed by the idempotency key"
    )
    assert len(rows) == TOTAL
    assert len(delivered) + len(dead) == TOTAL  # none left queued, none lost
    assert delivered <= received  # a delivered notification really reached the sink
    assert delivered <= delivered_attempts
    assert received <= {r.id for r in rows}
    assert dead, "with 30 % failures some single-channel notifications must dead-letter"
    assert all(r.alert_id in alert_ids for r in dead)  # every dead letter raised an alert
    assert victim_attempts and victim_attempts > 0  # the killed worker really was working


# --- the worker process -------------------------------------------------------------------


async def _worker_main(db_url: str, ring_json: str, name: str) -> None:
    from botfolio.jobs.registry import JobRegistry
    from botfolio.jobs.scheduler import PeriodicTaskRegistry, Scheduler
    from botfolio.jobs.signals import stop_on_signals
    from botfolio.jobs.worker import Worker, default_worker_id
    from botfolio.notifications.delivery import DeliveryDeps
    from botfolio.notifications.ratelimit import ChannelRateLimiter
    from botfolio.notifications.senders import ChannelSenders
    from botfolio.notifications.service import DISPATCH_KIND
    from botfolio.notifications.settings import NotificationSettings
    from botfolio.notifications.tasks import register_delivery

    clock = SystemClock()
    db = Database(db_url)
    settings = NotificationSettings(
        attempts_per_channel=3,
        backoff_base_seconds=0.05,
        backoff_max_seconds=0.2,
        lease_seconds=3.0,
        dispatch_budget_seconds=5.0,
        rate_per_second={},
    )
    senders = ChannelSenders(settings)
    deps = DeliveryDeps(
        db=db,
        cipher=FieldCipher(KeyRing.from_json(ring_json)),
        clock=clock,
        settings=settings,
        senders=senders,
        limiter=ChannelRateLimiter({}, max_wait_seconds=1.0),
        rng=random.Random(),
    )
    registry = JobRegistry()
    register_delivery(registry, deps)
    worker_id = f"{name}:{default_worker_id()}"
    worker = Worker(
        db,
        registry,
        JobSettings(poll_interval_seconds=0.05, lease_seconds=3.0, concurrency=4, max_attempts=5),
        clock,
        worker_id=worker_id,
    )
    tasks = PeriodicTaskRegistry()
    tasks.enqueue_every(DISPATCH_KIND, 0.5, DISPATCH_KIND)
    scheduler = Scheduler(
        db, tasks, SchedulerSettings(lease_ttl_seconds=2.0, renew_interval_seconds=0.25), clock
    )

    def stop() -> None:
        worker.request_stop()
        scheduler.request_stop()

    with stop_on_signals(stop):
        await asyncio.gather(worker.run(), scheduler.run())
    await senders.aclose()
    await db.dispose()


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "worker":
    asyncio.run(_worker_main(sys.argv[2], sys.argv[3], sys.argv[4]))
