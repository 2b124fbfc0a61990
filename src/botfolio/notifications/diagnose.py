"""`botfolio notifications diagnose USER`: why does this user not get notifications?

One report with the delivery service's state, the user's channels and consent, their recent
attempts with errors, and findings that each say what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.jobs.service import queue_stats
from botfolio.notifications import repository
from botfolio.notifications.channels import view_of
from botfolio.notifications.models import (
    AttemptOutcome,
    ChannelKind,
    NotificationAttempt,
    NotificationChannel,
)
from botfolio.notifications.planning import unusable_reason
from botfolio.notifications.service import DISPATCH_KIND

RECENT_ATTEMPTS = 20
FAILING_STREAK = 2
STALLED_QUEUE_SECONDS = 60.0


@dataclass(frozen=True)
class Finding:
    level: str  # problem | warning | info
    message: str
    fix: str


@dataclass(frozen=True)
class ChannelReport:
    id: str
    kind: str
    label: str
    position: int
    enabled: bool
    consent: bool
    usable: bool
    reason: str | None
    last_outcome: str | None
    last_error: str | None


@dataclass(frozen=True)
class ServiceState:
    dispatch_jobs_queued: int
    dispatch_jobs_running: int
    dispatch_jobs_dead: int
    oldest_due_notification_age_seconds: float | None
    notifications_by_status: dict[str, int]


@dataclass(frozen=True)
class Diagnosis:
    user_id: str
    checked_at: datetime
    service: ServiceState
    language: str
    in_app_only_events: list[str]
    channels: list[ChannelReport]
    recent_attempts: list[NotificationAttempt]
    user_dead_notifications: int
    findings: list[Finding] = field(default_factory=list)


async def diagnose(session: AsyncSession, clock: Clock, user_id: str) -> Diagnosis:
    service = await _service_state(session, clock)
    channels = await repository.channels_of(session, user_id)
    profile = await repository.get_profile(session, user_id)
    attempts = list(await repository.attempts_of(session, user_id=user_id, limit=RECENT_ATTEMPTS))
    dead = await repository.failures(session, repository.FailureFilter(user_id=user_id, limit=1000))
    reports = [_channel_report(c, attempts) for c in channels]
    dead_count = sum(1 for n in dead if n.status == "dead")
    findings = _service_findings(service) + _channel_findings(reports, attempts)
    if dead_count:
        findings.append(
            Finding(
                "problem",
                f"{dead_count} notification(s) were dead-lettered",
                "fix the channels above, then `botfolio notifications retry ID...`",
            )
        )
    if profile is not None and profile.in_app_only_events:
        findings.append(
            Finding(
                "info",
                f"in-app only by the user's choice: {', '.join(profile.in_app_only_events)}",
                "nothing to fix unless the user wants these events elsewhere",
            )
        )
    return Diagnosis(
        user_id=user_id,
        checked_at=clock.now(),
        service=service,
        language=profile.language if profile else "en",
        in_app_only_events=list(profile.in_app_only_events) if profile else [],
        channels=reports,
        recent_attempts=attempts,
        user_dead_notifications=dead_count,
        findings=findings,
    )


async def _service_state(session: AsyncSession, clock: Clock) -> ServiceState:
    stats = await queue_stats(session, clock=clock)
    row = next((r for r in stats.by_kind if r.kind == DISPATCH_KIND), None)
    now = clock.now()
    oldest = await repository.oldest_due_queued(session, now)
    return ServiceState(
        dispatch_jobs_queued=row.queued if row else 0,
        dispatch_jobs_running=row.running if row else 0,
        dispatch_jobs_dead=row.dead if row else 0,
        oldest_due_notification_age_seconds=(now - oldest).total_seconds() if oldest else None,
        notifications_by_status=await repository.count_by_status(session),
    )


def _channel_report(
    channel: NotificationChannel, attempts: Sequence[NotificationAttempt]
) -> ChannelReport:
    reason = unusable_reason(view_of(channel))
    mine = [a for a in attempts if a.channel_id == channel.id]
    return ChannelReport(
        id=channel.id,
        kind=channel.kind,
        label=channel.label,
        position=channel.position,
        enabled=channel.enabled,
        consent=channel.consent_at is not None or channel.kind == ChannelKind.IN_APP,
        usable=reason is None,
        reason=reason,
        last_outcome=mine[0].outcome if mine else None,
        last_error=mine[0].error if mine else None,
    )


def _service_findings(service: ServiceState) -> list[Finding]:
    findings = []
    age = service.oldest_due_notification_age_seconds
    if age is not None and age > STALLED_QUEUE_SECONDS:
        findings.append(
            Finding(
                "problem",
                f"deliveries are stalled: a due notification has waited {age:.0f} s",
                "check that `botfolio worker` and `botfolio scheduler` run and reach the database",
            )
        )
    if service.dispatch_jobs_dead:
        findings.append(
            Finding(
                "warning",
                f"{service.dispatch_jobs_dead} dispatch job(s) are dead-lettered",
                "inspect them: `botfolio jobs list --state dead --kind notifications.dispatch`",
            )
        )
    return findings


def _channel_findings(
    reports: Sequence[ChannelReport], attempts: Sequence[NotificationAttempt]
) -> list[Finding]:
    findings = []
    if not any(r.usable and r.kind != ChannelKind.IN_APP for r in reports):
        findings.append(
            Finding(
                "problem",
                "no usable channel besides in-app: notifications are only stored",
                "add a channel and opt in to it (POST /v1/notifications/channels with consent)",
            )
        )
    for report in reports:
        name = f"{report.kind} channel '{report.label}' ({report.id})"
        if not report.consent:
            findings.append(
                Finding(
                    "problem",
                    f"{name} has no consent, so it is never used",
                    f"the user must opt in: POST /v1/notifications/channels/{report.id}/consent",
                )
            )
        elif not report.enabled:
            findings.append(Finding("warning", f"{name} is disabled", "enable or remove it"))
        if _failing(report.id, attempts):
            findings.append(
                Finding(
                    "problem",
                    f"{name} is failing: {report.last_error}",
                    "fix or replace the destination, then retry the dead notifications",
                )
            )
    return findings


def _failing(channel_id: str, attempts: Sequence[NotificationAttempt]) -> bool:
    mine = [a for a in attempts if a.channel_id == channel_id][:FAILING_STREAK]
    return len(mine) > 0 and all(a.outcome == AttemptOutcome.FAILED for a in mine)
