"""`botfolio alerts list | ack | resolve | evaluate | oncall-add | oncall-list`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from botfolio.alerts import repository, rota, service
from botfolio.alerts.models import AlertStatus, Severity
from botfolio.alerts.paging import process_due_alerts
from botfolio.alerts.rules import evaluate_rules
from botfolio.alerts.settings import alert_settings
from botfolio.audit.service import Actor
from botfolio.cli.common import console, run_with_runtime
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)

BY_HELP = "Your user id: acknowledgements and resolutions are audited under it."


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@app.command("list")
def list_alerts(
    status: Annotated[AlertStatus | None, typer.Option(help="Only alerts in this state.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="Only this severity.")] = None,
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Operator alerts, most recently seen first."""

    async def _list(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rows = await service.list_alerts(
                session,
                status=status.value if status else None,
                severity=severity.value if severity else None,
                limit=limit,
            )
        table = Table(title=f"alerts ({len(rows)} shown)")
        for column in (
            "id",
            "severity",
            "status",
            "summary",
            "seen",
            "last seen",
            "level",
            "paged",
        ):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                row.id,
                row.severity,
                row.status,
                row.summary,
                str(row.occurrences),
                _when(row.last_seen_at),
                str(row.escalation_level),
                row.paged_user_id or "-",
            )
        console.print(table)

    run_with_runtime(_list)


@app.command("ack")
def acknowledge(
    alert_id: str = typer.Argument(..., help="The alert's id."),
    by: str = typer.Option(..., help=BY_HELP),
) -> None:
    """Acknowledge an alert: paging and escalation stop."""

    async def _ack(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            alert = await service.acknowledge(session, runtime.clock, alert_id, actor=Actor(by))
        console.print(f"alert {alert.id} acknowledged by {by}", highlight=False)

    run_with_runtime(_ack)


@app.command("resolve")
def resolve(
    alert_id: str = typer.Argument(..., help="The alert's id."),
    by: str = typer.Option(..., help=BY_HELP),
    note: str | None = typer.Option(None, help="What was done."),
) -> None:
    """Resolve an alert; a new occurrence of the problem opens a new alert."""

    async def _resolve(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            alert = await service.resolve(
                session, runtime.clock, alert_id, actor=Actor(by), note=note
            )
        console.print(f"alert {alert.id} resolved", highlight=False)

    run_with_runtime(_resolve)


@app.command("evaluate")
def evaluate() -> None:
    """Run the alert rules once and page whatever is due (the scheduler does this periodically)."""

    async def _evaluate(runtime: Runtime) -> None:
        policy = alert_settings(runtime.settings)
        async with runtime.db.transaction() as session:
            fired = await evaluate_rules(session, runtime.clock, policy)
        async with runtime.db.transaction() as session:
            pages = await process_due_alerts(session, runtime.clock, policy)
        console.print(
            f"{len(fired)} rule alert(s) firing, {len(pages)} page(s) sent", highlight=False
        )

    run_with_runtime(_evaluate)


@app.command("oncall-add")
def oncall_add(
    user: str = typer.Argument(..., help="The responder's user id."),
    level: int = typer.Option(0, min=0, max=10, help="0 primary, 1 secondary, ..."),
    starts: Annotated[
        datetime | None, typer.Option(help="Shift start (ISO, UTC); default now.")
    ] = None,
    hours: float = typer.Option(168.0, min=0.1, help="Shift length in hours."),
    by: str | None = typer.Option(None, help="Your user id, for the audit log."),
) -> None:
    """Put a responder on the on-call rota."""

    async def _add(runtime: Runtime) -> None:
        start = starts.replace(tzinfo=UTC) if starts and starts.tzinfo is None else starts
        begin = start or runtime.clock.now()
        async with runtime.db.transaction() as session:
            shift = await rota.add_shift(
                session,
                runtime.clock,
                user_id=user,
                level=level,
                starts_at=begin,
                ends_at=begin + timedelta(hours=hours),
                actor=Actor(by),
            )
        console.print(
            f"shift {shift.id}: {user} level {level} until {_when(shift.ends_at)}", highlight=False
        )

    run_with_runtime(_add)


@app.command("oncall-list")
def oncall_list() -> None:
    """Current and future shifts."""

    async def _list(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rows = await repository.all_shifts(session, ending_after=runtime.clock.now())
        table = Table(title="on-call rota")
        for column in ("id", "user", "level", "starts", "ends"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                row.id, row.user_id, str(row.level), _when(row.starts_at), _when(row.ends_at)
            )
        console.print(table)

    run_with_runtime(_list)
