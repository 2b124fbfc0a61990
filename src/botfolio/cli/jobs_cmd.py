"""`botfolio jobs list | show | retry | stats`: inspect the queue and the dead-letter jobs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from botfolio.cli.common import console, run_with_runtime
from botfolio.jobs import service
from botfolio.jobs.models import Job, JobState
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

ERROR_PREVIEW = 60


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _attempts(job: Job) -> str:
    return f"{job.attempts}/{job.max_attempts or 'default'}"


def _preview(text: str | None) -> str:
    if not text:
        return ""
    first_line = text.splitlines()[0]
    return first_line if len(first_line) <= ERROR_PREVIEW else first_line[: ERROR_PREVIEW - 1] + "…"


@app.command("list")
def list_jobs(
    state: Annotated[JobState | None, typer.Option(help="Only jobs in this state.")] = None,
    kind: str | None = typer.Option(None, help="Only jobs of this kind."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
) -> None:
    """List jobs, newest first (e.g. `--state dead` for the dead-letter queue)."""

    async def _list(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            jobs = await service.list_jobs(
                session, state=state.value if state else None, kind=kind, limit=limit
            )
        table = Table(title=f"jobs ({len(jobs)} shown; `botfolio jobs show ID` for details)")
        table.add_column("id", no_wrap=True, min_width=36)
        for column, width in (("kind", 12), ("state", 9), ("attempts", 9), ("run after", 19)):
            table.add_column(column, no_wrap=True, min_width=width)
        table.add_column("last error", overflow="ellipsis")
        for job in jobs:
            table.add_row(
                job.id,
                job.kind,
                job.state,
                _attempts(job),
                _when(job.run_after),
                _preview(job.last_error),
            )
        console.print(table)

    run_with_runtime(_list)


@app.command("show")
def show(job_id: str = typer.Argument(..., help="The job's id.")) -> None:
    """Show one job in full: payload, lease and the last error."""

    async def _show(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            job = await service.get_job(session, job_id)
        table = Table(show_header=False, title=f"job {job.id}")
        rows = {
            "kind": job.kind,
            "state": job.state,
            "attempts": _attempts(job),
            "priority": str(job.priority),
            "idempotency key": job.idempotency_key or "-",
            "run after": _when(job.run_after),
            "lease": f"{job.lease_owner or '-'} until {_when(job.lease_expires_at)}",
            "created / updated / finished": (
                f"{_when(job.created_at)} / {_when(job.updated_at)} / {_when(job.finished_at)}"
            ),
            "payload": json.dumps(job.payload, sort_keys=True),
            "last error": job.last_error or "-",
        }
        for name, value in rows.items():
            table.add_row(name, value)
        console.print(table)

    run_with_runtime(_show)


@app.command("retry")
def retry(job_id: str = typer.Argument(..., help="Id of a dead job.")) -> None:
    """Put a dead job back in the queue with its attempts reset."""

    async def _retry(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            job = await service.retry_dead_job(session, job_id, clock=runtime.clock)
        console.print(f"job {job.id} ({job.kind}) queued again", highlight=False)

    run_with_runtime(_retry)


@app.command("stats")
def stats() -> None:
    """Counts by kind and state, and how long the oldest due job has waited."""

    async def _stats(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            result = await service.queue_stats(session, clock=runtime.clock)
        table = Table(title="jobs by kind")
        for column in ("kind", "queued", "running", "succeeded", "dead"):
            table.add_column(column, justify="left" if column == "kind" else "right")
        for row in result.by_kind:
            table.add_row(
                row.kind, str(row.queued), str(row.running), str(row.succeeded), str(row.dead)
            )
        console.print(table)
        age = result.oldest_due_age_seconds
        waited = f"{age:.1f} s" if age is not None else "none waiting"
        console.print(f"oldest due job waiting: {waited}", highlight=False)

    run_with_runtime(_stats)
