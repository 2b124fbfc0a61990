"""`botfolio worker` and `botfolio scheduler`: the long-running roles that run durable jobs.

Domains plug in through `JOB_MODULES`: each listed module may define
`register_jobs(registry: JobRegistry, runtime: Runtime) -> None` and/or
`register_periodic_tasks(tasks: PeriodicTaskRegistry, runtime: Runtime) -> None`.
"""

from __future__ import annotations

import importlib

import typer

from botfolio.cli.common import console, load_settings, run_with_runtime
from botfolio.db import migrate as db_migrate
from botfolio.jobs.builtin import register_builtin_jobs, register_builtin_periodic_tasks
from botfolio.jobs.registry import JobRegistry
from botfolio.jobs.scheduler import PeriodicTaskRegistry, Scheduler
from botfolio.jobs.signals import stop_on_signals
from botfolio.jobs.worker import Worker
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

# Modules (dotted names) contributing job handlers and periodic tasks; a domain adds itself here.
JOB_MODULES: tuple[str, ...] = (
    "botfolio.orders.tasks",
    "botfolio.predictions.tasks",
    "botfolio.bots.tasks",
    "botfolio.notifications.tasks",
    "botfolio.alerts.tasks",
)


def build_job_registry(runtime: Runtime) -> JobRegistry:
    registry = JobRegistry()
    register_builtin_jobs(registry)
    for name in JOB_MODULES:
        hook = getattr(importlib.import_module(name), "register_jobs", None)
        if hook is not None:
            hook(registry, runtime)
    return registry


def build_periodic_tasks(runtime: Runtime) -> PeriodicTaskRegistry:
    tasks = PeriodicTaskRegistry()
    register_builtin_periodic_tasks(tasks)
    for name in JOB_MODULES:
        hook = getattr(importlib.import_module(name), "register_periodic_tasks", None)
        if hook is not None:
            hook(tasks, runtime)
    return tasks


async def run_worker(runtime: Runtime, *, concurrency: int | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT; running jobs finish or are released."""
    worker = Worker(
        runtime.db,
        build_job_registry(runtime),
        runtime.settings.jobs,
        runtime.clock,
        concurrency=concurrency,
    )
    with stop_on_signals(worker.request_stop):
        await worker.run()


async def run_scheduler(runtime: Runtime) -> None:
    """Run a scheduler (leader or standby) until SIGTERM/SIGINT; a leader hands its lease over."""
    scheduler = Scheduler(
        runtime.db, build_periodic_tasks(runtime), runtime.settings.scheduler, runtime.clock
    )
    with stop_on_signals(scheduler.request_stop):
        await scheduler.run()


def _maybe_migrate(requested: bool) -> None:
    settings = load_settings()
    if requested or settings.database.migrate_on_start:
        db_migrate.upgrade(settings.database.url.get_secret_value())
        console.print(f"schema upgraded to {db_migrate.head_revision()}", highlight=False)


MIGRATE_HELP = "Run `db upgrade` before starting (also when database.migrate_on_start is set)."


@app.command("worker")
def worker(
    migrate: bool = typer.Option(False, "--migrate", help=MIGRATE_HELP),
    concurrency: int | None = typer.Option(
        None, min=1, help="Jobs run at once (default: jobs.concurrency)."
    ),
) -> None:
    """Run a job worker: claims due jobs, runs them, retries with backoff, dead-letters."""
    _maybe_migrate(migrate)
    run_with_runtime(lambda runtime: run_worker(runtime, concurrency=concurrency))


@app.command("scheduler")
def scheduler(migrate: bool = typer.Option(False, "--migrate", help=MIGRATE_HELP)) -> None:
    """Run the scheduler: the lease holder enqueues periodic work; others stand by."""
    _maybe_migrate(migrate)
    run_with_runtime(run_scheduler)
