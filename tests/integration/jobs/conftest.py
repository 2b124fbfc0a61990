"""Shared fixtures for the job tests: quick job settings and worker/scheduler child processes."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from botfolio.config import JobSettings


@pytest.fixture
def job_settings() -> JobSettings:
    return JobSettings(
        poll_interval_seconds=0.05,
        lease_seconds=30.0,
        max_attempts=3,
        backoff_base_seconds=1.0,
        backoff_max_seconds=4.0,
        concurrency=2,
    )


HELPER = Path(__file__).with_name("job_processes.py")
STARTUP_TIMEOUT_SECONDS = 30.0


@dataclass
class ChildProcess:
    """A worker or scheduler started from `job_processes.py`; `ident` is its worker/holder id."""

    popen: subprocess.Popen[str]
    ident: str
    log_path: Path

    def signal(self, sig: signal.Signals) -> None:
        self.popen.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        return self.popen.wait(timeout=timeout)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")


def _read_ready_line(popen: subprocess.Popen[str], log_path: Path) -> str:
    assert popen.stdout is not None
    ready, _, _ = select.select([popen.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
    line = popen.stdout.readline() if ready else ""
    if not line.startswith("READY "):
        popen.kill()
        pytest.fail(f"child did not start: {line!r}\n{log_path.read_text(encoding='utf-8')}")
    return line.split(" ", 1)[1].strip()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., ChildProcess]]:
    """Start `worker`/`scheduler` children on a database; any still alive are killed at the end."""
    children: list[ChildProcess] = []

    def start(role: str, db_url: str, **settings: str) -> ChildProcess:
        log_path = tmp_path / f"{role}-{len(children)}.log"
        env = {**os.environ, "BOTFOLIO_DATABASE__URL": db_url, "BOTFOLIO_LOG__LEVEL": "INFO"}
        env.update({f"BOTFOLIO_{name.upper()}": value for name, value in settings.items()})
        with log_path.open("w", encoding="utf-8") as log_file:
            popen = subprocess.Popen(
                [sys.executable, str(HELPER), role],
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                env=env,
            )
        child = ChildProcess(popen, _read_ready_line(popen, log_path), log_path)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.popen.poll() is None:
            child.popen.kill()
            child.popen.wait(timeout=10)
