"""Queue gauges read from the table, and the `botfolio jobs` / `botfolio worker` commands."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import update
from typer.testing import CliRunner

from botfolio.cli.main import app
from botfolio.clock import ManualClock
from botfolio.config import get_settings
from botfolio.db.database import Database
from botfolio.jobs.metrics import refresh_job_metrics
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.service import enqueue


def _gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def _add(db: Database, clock: ManualClock, kind: str, state: JobState, **kw: object) -> str:
    async with db.transaction() as session:
        job = await enqueue(session, kind, {}, clock=clock, **kw)  # type: ignore[arg-type]
        await session.execute(update(Job).where(Job.id == job.id).values(state=state))
    return job.id


async def test_refresh_job_metrics_when_jobs_in_each_state_sets_gauges(
    db: Database, clock: ManualClock
) -> None:
    await _add(db, clock, "test.alpha", JobState.QUEUED)
    clock.advance(30)
    await _add(db, clock, "test.alpha", JobState.QUEUED)
    await _add(db, clock, "test.alpha", JobState.QUEUED, run_after=clock.now() + timedelta(hours=1))
    await _add(db, clock, "test.alpha", JobState.RUNNING)
    await _add(db, clock, "test.beta", JobState.DEAD)
    await _add(db, clock, "test.beta", JobState.SUCCEEDED)

    async with db.session() as session:
        await refresh_job_metrics(session, clock)

    assert _gauge("botfolio_jobs_queue_depth", kind="test.alpha", state="queued") == 3
    assert _gauge("botfolio_jobs_queue_depth", kind="test.alpha", state="running") == 1
    assert _gauge("botfolio_jobs_dead_letter_total", kind="test.beta") == 1
    assert _gauge("botfolio_jobs_oldest_queued_age_seconds") == 30


async def test_refresh_job_metrics_when_queue_empties_resets_gauges_to_zero(
    db: Database, clock: ManualClock
) -> None:
    await _add(db, clock, "test.gamma", JobState.QUEUED)
    await _add(db, clock, "test.gamma", JobState.DEAD)
    async with db.session() as session:
        await refresh_job_metrics(session, clock)
    async with db.transaction() as session:
        await session.execute(update(Job).values(state=JobState.SUCCEEDED))

    async with db.session() as session:
        await refresh_job_metrics(session, clock)

    assert _gauge("botfolio_jobs_queue_depth", kind="test.gamma", state="queued") == 0
    assert _gauge("botfolio_jobs_dead_letter_total", kind="test.gamma") == 0
    assert _gauge("botfolio_jobs_oldest_queued_age_seconds") == 0


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """In-process CLI on the test database; the log handler it installs on CliRunner's
    temporary stderr is removed afterwards so later tests do not log to a closed stream."""
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL", db_url)
    monkeypatch.setenv("BOTFOLIO_LOG__LEVEL", "WARNING")
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield CliRunner()
    get_settings.cache_clear()
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def test_jobs_cli_when_job_dead_lists_retries_and_counts_it(
    cli_env: CliRunner, db_url: str
) -> None:
    import asyncio

    async def arrange() -> str:
        db = Database(db_url)
        try:
            job_id = await _add(db, ManualClock(), "test.delta", JobState.DEAD)
            async with db.transaction() as session:
                await session.execute(
                    update(Job).where(Job.id == job_id).values(last_error="RuntimeError: boom")
                )
            return job_id
        finally:
            await db.dispose()

    job_id = asyncio.run(arrange())

    listed = cli_env.invoke(app, ["jobs", "list", "--state", "dead"])
    shown = cli_env.invoke(app, ["jobs", "show", job_id])
    retried = cli_env.invoke(app, ["jobs", "retry", job_id])
    retried_again = cli_env.invoke(app, ["jobs", "retry", job_id])
    stats = cli_env.invoke(app, ["jobs", "stats"])
    bad_state = cli_env.invoke(app, ["jobs", "list", "--state", "zombie"])

    assert listed.exit_code == 0, listed.output
    assert job_id in listed.output and "dead" in listed.output
    assert shown.exit_code == 0 and "RuntimeError: boom" in shown.output
    assert retried.exit_code == 0 and "queued again" in retried.output
    assert retried_again.exit_code == 1 and "only dead jobs" in retried_again.output
    assert stats.exit_code == 0 and "test.delta" in stats.output
    assert bad_state.exit_code == 2


@pytest.mark.slow
def test_worker_command_when_migrating_a_fresh_database_runs_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    env = {
        **os.environ,
        "BOTFOLIO_DATABASE__URL": url,
        "BOTFOLIO_JOBS__POLL_INTERVAL_SECONDS": "0.1",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log_file:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from botfolio.cli.main import main; main()",
                "worker",
                "--migrate",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_for_line(log_path, "worker.started")
        worker.send_signal(signal.SIGTERM)
        exit_code = worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    output = log_path.read_text()
    assert exit_code == 0, output
    assert "schema upgraded" in output and "worker.stopped" in output
    assert "jobs.prune_succeeded" in output


def _wait_for_line(path: Path, needle: str) -> None:
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if needle in path.read_text():
            return
        time.sleep(0.05)
    pytest.fail(f"{needle!r} never appeared:\n{path.read_text()}")
