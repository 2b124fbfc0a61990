"""Worker processes running the real order jobs, configured from BOTFOLIO_* env vars.

Started once as a "zygote": it imports everything, then forks one fresh worker process per
`spawn` line on stdin and answers `PID <pid>`; each child prints `READY <pid>` once its worker is
built, `CLAIMED <job id>` as each job starts, and runs until killed. Forking after the imports makes each crash trial start in
milliseconds instead of re-importing CCXT and SQLAlchemy fifty times.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from botfolio.config import Settings
from botfolio.jobs.registry import JobContext, JobRegistry
from botfolio.jobs.worker import Worker
from botfolio.logs import configure_logging
from botfolio.orders.tasks import register_jobs
from botfolio.runtime import Runtime


def say(message: str) -> None:
    """One line in one write(2): atomic on a pipe, so a SIGKILL can never leave half a line for the
    next one to be glued to (print makes two writes when PYTHONUNBUFFERED is set)."""
    os.write(sys.stdout.fileno(), f"{message}\n".encode())


def announce_claims(runtime: Runtime) -> JobRegistry:
    """The real order handlers, each announcing `CLAIMED <job id>` on stdout as it starts, so the
    test can aim its SIGKILL inside the submission rather than at start-up."""
    real = JobRegistry()
    register_jobs(real, runtime)
    registry = JobRegistry()
    for kind in real.kinds():
        handler = real.get(kind)

        async def announced(ctx: JobContext, payload: dict[str, Any], run: Any = handler) -> None:
            say(f"CLAIMED {ctx.job_id}")
            await run(ctx, payload)

        registry.register(kind, announced)
    return registry


async def run_worker() -> None:
    settings = Settings()
    runtime = Runtime.from_settings(settings)
    registry = announce_claims(runtime)
    worker = Worker(runtime.db, registry, settings.jobs, runtime.clock, concurrency=2)
    say(f"READY {os.getpid()}")
    await worker.run()


def main() -> None:
    configure_logging("ERROR")
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        if line.strip() != "spawn":
            continue
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                asyncio.run(run_worker())
            finally:  # a child must never fall back into this loop and act as a second zygote
                os._exit(0)
        say(f"PID {pid}")


if __name__ == "__main__":
    main()
