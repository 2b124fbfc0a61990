"""`botfolio notifications failures | retry | log | diagnose | add-channel | send-test`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from botfolio.audit.service import Actor, record_event
from botfolio.cli.common import console, run_with_runtime
from botfolio.notifications import channels, repository, service
from botfolio.notifications.diagnose import Diagnosis, diagnose
from botfolio.notifications.models import ChannelKind
from botfolio.notifications.repository import FailureFilter
from botfolio.runtime import Runtime

app = typer.Typer(no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


@app.command("failures")
def failures(
    since: Annotated[datetime | None, typer.Option(help="Created at or after (ISO, UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Created before (ISO, UTC).")] = None,
    channel: Annotated[ChannelKind | None, typer.Option(help="Failed on this channel.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's notifications.")] = None,
    limit: int = typer.Option(100, min=1, max=1000),
) -> None:
    """Dead-lettered notifications and queued ones that already failed, newest first."""
    flt = FailureFilter(
        since=_utc(since),
        until=_utc(until),
        channel_kind=channel.value if channel else None,
        user_id=user,
        limit=limit,
    )

    async def _list(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rows = await service.list_failures(session, flt)
        table = Table(title=f"notification failures ({len(rows)} shown)")
        for column in ("id", "user", "event", "status", "steps", "created", "last error", "alert"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                row.id,
                row.user_id,
                row.event,
                row.status,
                str(row.step),
                _when(row.created_at),
                row.last_error or "",
                row.alert_id or "-",
            )
        console.print(table)

    run_with_runtime(_list)


def _utc(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@app.command("retry")
def retry(
    notification_ids: Annotated[
        list[str], typer.Argument(help="Ids of dead-lettered notifications.")
    ],
    by: str | None = typer.Option(None, help="Operator user id, for the audit log."),
) -> None:
    """Put dead-lettered notifications back on their channels (the plan is recomputed)."""

    async def _retry(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            rows = await service.retry_many(session, runtime.clock, notification_ids)
            await record_event(
                session,
                runtime.clock,
                actor=Actor(by),
                action="notification.retried",
                target_type="notification",
                details={"ids": [row.id for row in rows]},
            )
        console.print(f"{len(rows)} notification(s) queued again", highlight=False)

    run_with_runtime(_retry)


@app.command("log")
def delivery_log(
    user: str = typer.Argument(..., help="The user's id."),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """A user's delivery log: every attempt with channel, outcome, error and latency."""

    async def _log(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            rows = await repository.attempts_of(session, user_id=user, limit=limit)
        table = Table(title=f"deliveries of {user} ({len(rows)} shown)")
        for column in ("when", "notification", "channel", "outcome", "latency ms", "error"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(
                _when(row.attempted_at),
                row.notification_id,
                row.channel_kind,
                row.outcome,
                f"{row.latency_ms:.1f}",
                row.error or "",
            )
        console.print(table)

    run_with_runtime(_log)


@app.command("diagnose")
def diagnose_user(user: str = typer.Argument(..., help="The user's id.")) -> None:
    """Why does this user not get notifications? Service state, channels, consent, recent
    attempts, and what to fix."""

    async def _diagnose(runtime: Runtime) -> None:
        async with runtime.db.session() as session:
            report = await diagnose(session, runtime.clock, user)
        _print_diagnosis(report)

    run_with_runtime(_diagnose)


def _print_diagnosis(report: Diagnosis) -> None:
    service_state = report.service
    age = service_state.oldest_due_notification_age_seconds
    console.print(f"[bold]notifications of {report.user_id}[/bold]", highlight=False)
    console.print(
        f"service: {service_state.notifications_by_status or 'no notifications'}; "
        f"oldest due waiting: {f'{age:.1f} s' if age is not None else 'none'}; "
        f"dispatch jobs queued/running/dead: {service_state.dispatch_jobs_queued}/"
        f"{service_state.dispatch_jobs_running}/{service_state.dispatch_jobs_dead}",
        highlight=False,
    )
    console.print(f"language: {report.language}", highlight=False)
    channels_table = Table(title="channels (fallback order)")
    for column in ("pos", "kind", "label", "consent", "usable", "last outcome", "last error"):
        channels_table.add_column(column, overflow="fold")
    for ch in report.channels:
        channels_table.add_row(
            str(ch.position),
            ch.kind,
            ch.label,
            "yes" if ch.consent else "NO",
            "yes" if ch.usable else f"no: {ch.reason}",
            ch.last_outcome or "-",
            ch.last_error or "",
        )
    console.print(channels_table)
    attempts = Table(title="recent attempts")
    for column in ("when", "channel", "outcome", "error"):
        attempts.add_column(column, overflow="fold")
    for attempt in report.recent_attempts:
        attempts.add_row(
            _when(attempt.attempted_at), attempt.channel_kind, attempt.outcome, attempt.error or ""
        )
    console.print(attempts)
    if not report.findings:
        console.print("findings: none, delivery looks healthy", highlight=False)
    for finding in report.findings:
        console.print(
            f"[{finding.level}] {finding.message}\n    fix: {finding.fix}", highlight=False
        )


@app.command("add-channel")
def add_channel(
    user: Annotated[str, typer.Argument(help="The user's id.")],
    kind: Annotated[ChannelKind, typer.Option(help="Channel kind.")],
    destination: str | None = typer.Option(
        None, help="Address, apprise URL or webhook URL (stored encrypted).", show_default=False
    ),
    label: str = typer.Option("", help="A name the user recognises."),
    consent: bool = typer.Option(
        False, "--consent", help="Record the user's explicit opt-in (only when they gave it)."
    ),
) -> None:
    """Add a channel for a user (operators set up their own paging channels this way)."""

    async def _add(runtime: Runtime) -> None:
        async with runtime.db.transaction() as session:
            channel = await channels.add_channel(
                session,
                runtime.clock,
                runtime.cipher,
                user_id=user,
                kind=kind.value,
                destination=destination,
                label=label,
                consent=consent,
            )
            if consent:
                await record_event(
                    session,
                    runtime.clock,
                    actor=Actor(user),
                    action="notification.consent_given",
                    target_type="notification_channel",
                    target_id=channel.id,
                )
        console.print(
            f"channel {channel.id} ({channel.kind}) at position {channel.position}", highlight=False
        )

    run_with_runtime(_add)


@app.command("send-test")
def send_test(
    user: str = typer.Argument(..., help="The user's id."),
    text: str = typer.Option("Test notification from BotFolio.", help="The message."),
) -> None:
    """Queue a test notification to a user; `botfolio notifications log USER` shows its fate."""

    async def _send(runtime: Runtime) -> None:
        from botfolio.db.ids import new_id

        async with runtime.db.transaction() as session:
            row = await service.queue_notification(
                session,
                runtime.clock,
                user_id=user,
                event="test.message",
                data={"text": text},
                dedup_key=f"test:{new_id()}",
            )
        console.print(f"notification {row.id} queued", highlight=False)

    run_with_runtime(_send)
