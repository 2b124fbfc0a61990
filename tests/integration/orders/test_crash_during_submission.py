"""A worker SIGKILLed at random points during submission, 50 times: afterwards, once a worker has
run and reconciliation has passed, the venue's orders and BotFolio's match one for one.

PostgreSQL only: this is the multi-process production shape (the SQLite default runs one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from botfolio.config import Settings
from botfolio.db.database import Database
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.orders.models import Order, OrderStatus
from botfolio.orders.tasks import register_jobs
from botfolio.runtime import Runtime
from botfolio.security.crypto import FieldCipher
from botfolio.security.keyring import KeyRing, save_keyring

from ...conftest import empty_all_tables
from .conftest import Venue, exchange_settings, link_account

TRIALS = 50
ORDERS_PER_TRIAL = 2
WORKER_SCRIPT = Path(__file__).with_name("order_worker_process.py")
JOB_SETTINGS = {
    "poll_interval_seconds": 0.05,
    "lease_seconds": 1.0,
    "max_attempts": 60,
    "backoff_base_seconds": 0.05,
    "backoff_max_seconds": 0.3,
}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
async def pg_venue(
    postgres_url: str, tmp_path: Path, sim: object, request: pytest.FixtureRequest
) -> AsyncIterator[Venue]:
    await empty_all_tables(postgres_url)
    keyring = KeyRing.generate()
    save_keyring(keyring, tmp_path / "keyring.json")
    exchanges = exchange_settings(sim).model_copy(  # type: ignore[arg-type]
        update={"unknown_order_grace_seconds": 0.3, "breaker_failure_threshold": 1000}
    )
    settings = Settings(
        database={"url": postgres_url},
        data_dir=tmp_path,
        security={"keyring_file": tmp_path / "keyring.json"},
        exchanges=exchanges,
        jobs=JOB_SETTINGS,
    )
    runtime = Runtime(settings=settings, db=Database(postgres_url), cipher=FieldCipher(keyring))
    cred = next(c for c in sim.credentials() if c.venue == "binance")  # type: ignore[attr-defined]
    account = await link_account(
        runtime,
        user_id="user-crash",
        venue="binance",
        api_key=cred.api_key,
        secret=cred.secret,
        label="crash",
    )
    async with sim.control("binance") as control:  # type: ignore[attr-defined]
        yield Venue(runtime, sim, account, cred.api_key, control)  # type: ignore[arg-type]
    await runtime.close()


def _worker_env(settings: Settings, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BOTFOLIO_DATABASE__URL"] = settings.database.url.get_secret_value()
    env["BOTFOLIO_SECURITY__KEYRING_FILE"] = str(tmp / "keyring.json")
    env["BOTFOLIO_EXCHANGES"] = settings.exchanges.model_dump_json()
    env["BOTFOLIO_JOBS"] = json.dumps(JOB_SETTINGS)
    return env


class Zygote:
    """Forks worker processes on demand (see order_worker_process.py)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc

    @classmethod
    async def start(cls, env: dict[str, str]) -> Zygote:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER_SCRIPT),
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group: close() kills every child with it
        )
        return cls(proc)

    async def _line(self, prefix: bytes) -> str:
        assert self._proc.stdout is not None
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, f"no {prefix!r} line from the workers in 120 s"
            line = await asyncio.wait_for(self._proc.stdout.readline(), timeout=120)
            if not line:
                raise AssertionError("the worker zygote exited")
            if prefix in line:  # not only at the start: a killed writer may leave a fragment
                return line[line.index(prefix) :].split()[1].decode()

    async def spawn_ready_worker(self) -> int:
        assert self._proc.stdin is not None
        self._proc.stdin.write(b"spawn\n")
        await self._proc.stdin.drain()
        pid = await self._line(b"PID")
        assert await self._line(b"READY") == pid
        return int(pid)

    async def first_claim(self) -> None:
        await self._line(b"CLAIMED")

    async def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGKILL)  # the zygote and any worker left
        await self._proc.wait()


async def _kill_and_wait(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    for _ in range(500):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"worker {pid} survived SIGKILL")


async def _drain(venue: Venue) -> None:
    """A healthy worker runs until no submit job is left queued or running."""
    registry = JobRegistry()
    register_jobs(registry, venue.runtime)
    worker = Worker(venue.runtime.db, registry, venue.runtime.settings.jobs, venue.runtime.clock)
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(600):
            async with venue.runtime.db.session() as session:
                pending = (
                    await session.execute(
                        select(func.count()).where(
                            Job.state.in_([JobState.QUEUED.value, JobState.RUNNING.value])
                        )
                    )
                ).scalar_one()
            if pending == 0:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{pending} jobs still pending after 60 s")
    finally:
        worker.request_stop()
        await task


async def test_worker_killed_at_random_points_leaves_no_duplicate_and_no_orphan(
    pg_venue: Venue, tmp_path: Path
) -> None:
    venue, rng = pg_venue, random.Random(20261126)
    await venue.control.add_fault("latency", path="/api/v3/order", method="POST", latency_ms=60)
    await venue.control.add_fault(
        "response_lost", path="/api/v3/order", method="POST", probability=0.2
    )
    zygote = await Zygote.start(_worker_env(venue.runtime.settings, tmp_path))
    try:
        for trial in range(TRIALS):
            for n in range(ORDERS_PER_TRIAL):
                await venue.place(f"bf-crash-{trial}-{n}", amount="0.001")
            pid = await zygote.spawn_ready_worker()
            await zygote.first_claim()
            await asyncio.sleep(rng.uniform(0.0, 0.25))  # somewhere inside the submission
            await _kill_and_wait(pid)
    finally:
        await zygote.close()

    await venue.control.clear_faults()
    await _drain(venue)
    report = await venue.reconciler().reconcile_account(venue.account.id)

    assert report.in_agreement, report
    async with venue.runtime.db.session() as session:
        ours = (await session.execute(select(Order))).scalars().all()
        dead = (
            await session.execute(select(func.count()).where(Job.state == JobState.DEAD.value))
        ).scalar_one()
    venue_ids = [o["client_order_id"] for o in await venue.venue_orders()]
    assert dead == 0
    assert len(ours) == TRIALS * ORDERS_PER_TRIAL
    assert sorted(venue_ids) == sorted(o.client_order_id for o in ours)  # one for one
    assert {o.status for o in ours} == {OrderStatus.FILLED.value}
    print(f"\ncrash trials: {TRIALS}, orders: {len(ours)}, venue orders: {len(venue_ids)}")
