"""`botfolio audit verify | list | purge`: check the hash chain, read events, apply retention."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import typer
from rich.table import Table

from botfolio.audit.models import AuditEvent
from botfolio.audit.queries import recent_events
from botfolio.audit.retention import PurgeReport, purge_expired
from botfolio.audit.verify import ChainAnchor, VerificationReport, verify_audit_chain
from botfolio.cli.common import console, err_console, run_with_runtime
from botfolio.errors import ValidationFailedError
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)
T = TypeVar("T")

_RELATIVE = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_DETAILS_WIDTH = 80


@app.command("verify")
def verify(
    anchor: str | None = typer.Option(
        None, help="An '<id>:<hash>' printed by an earlier verification and kept elsewhere."
    ),
    batch_size: int = typer.Option(1000, min=1, help="Events read per query."),
) -> None:
    """Walk the whole chain; exit 1 naming the first edited, unlinked or missing event."""
    parsed = _parsed(ChainAnchor.parse, anchor) if anchor else None

    async def _verify(runtime: Runtime) -> VerificationReport:
        return await verify_audit_chain(runtime.db, batch_size=batch_size, anchor=parsed)

    report = run_with_runtime(_verify)
    if report.problem is not None:
        err_console.print(
            f"[red]tampered:[/red] event {report.problem.event_id} "
            f"({report.problem.kind}): {report.problem.message}"
        )
        raise typer.Exit(1)
    console.print(f"ok: {report.events_verified} events verified")
    if report.last_id is not None:
        # One unbroken line, so that it can be copied into --anchor later.
        console.print(f"head {report.last_id}:{report.last_hash}", soft_wrap=True)


@app.command("list")
def list_events(
    action: str | None = typer.Option(None, help="Exact action, or a prefix like 'auth.*'."),
    actor: str | None = typer.Option(None, help="Actor user id."),
    since: str | None = typer.Option(
        None, help="ISO time (UTC when no offset) or a span back from now: 30m, 12h, 7d, 2w."
    ),
    limit: int = typer.Option(50, min=1, max=10_000, help="Most events shown."),
) -> None:
    """The newest audit events, newest first."""

    async def _list(runtime: Runtime) -> list[AuditEvent]:
        now = runtime.clock.now()
        since_at = _parsed(lambda text: parse_since(text, now=now), since) if since else None
        async with runtime.db.session() as session:
            events = await recent_events(
                session, action=action, actor_id=actor, since=since_at, limit=limit
            )
        return list(events)

    console.print(_events_table(run_with_runtime(_list)))


@app.command("purge")
def purge(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; delete nothing."),
    batch_size: int = typer.Option(1000, min=1, help="Rows deleted per statement."),
) -> None:
    """Delete audit events and access-log records past retention (never anything younger)."""

    async def _purge(runtime: Runtime) -> PurgeReport:
        async with runtime.db.transaction() as session:
            return await purge_expired(
                session,
                runtime.clock,
                runtime.settings.retention,
                batch_size=batch_size,
                dry_run=dry_run,
            )

    report = run_with_runtime(_purge)
    verb = "would delete" if report.dry_run else "deleted"
    console.print(
        f"{verb} {report.audit_events} audit events older than {report.audit_cutoff:%Y-%m-%d %H:%M} "
        f"and {report.access_log_records} access-log records older than "
        f"{report.access_log_cutoff:%Y-%m-%d %H:%M} (UTC)"
    )


def parse_since(text: str, *, now: datetime) -> datetime:
    """'7d'-style spans count back from now; ISO times without an offset are taken as UTC."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        seconds = int(relative["amount"]) * _UNIT_SECONDS[relative["unit"]]
        return now - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationFailedError(f"--since {text!r} is neither an ISO time nor like 7d") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parsed(parse: Callable[[str], T], text: str) -> T:
    """Bad option values are usage errors (exit 2) with the parser's own message."""
    try:
        return parse(text)
    except ValidationFailedError as exc:
        raise typer.BadParameter(exc.message) from exc


def _events_table(events: list[AuditEvent]) -> Table:
    table = Table(title=f"audit events ({len(events)})")
    for column in ("id", "occurred at (UTC)", "actor", "action", "target", "source ip", "details"):
        table.add_column(column, overflow="fold")
    for event in events:
        target = f"{event.target_type}:{event.target_id}" if event.target_type else ""
        details = json.dumps(event.details, sort_keys=True, default=str)
        table.add_row(
            str(event.id),
            f"{event.occurred_at:%Y-%m-%d %H:%M:%S}",
            event.actor_id or "system",
            event.action,
            target,
            event.source_ip or "",
            details if len(details) <= _DETAILS_WIDTH else details[: _DETAILS_WIDTH - 1] + "…",
        )
    return table
