"""Turning rows and reports into API/CLI shapes (shared by the endpoints and the CLI)."""

from __future__ import annotations

from dataclasses import asdict

from botfolio.notifications.diagnose import Diagnosis
from botfolio.notifications.models import Notification, NotificationAttempt, NotificationChannel
from botfolio.notifications.schemas import (
    AttemptView,
    ChannelDiagnosisView,
    ChannelView,
    DiagnosisView,
    FindingView,
    NotificationView,
)


def notification_view(row: Notification) -> NotificationView:
    return NotificationView(
        id=row.id,
        user_id=row.user_id,
        event=row.event,
        title=row.title,
        body=row.body,
        status=row.status,
        delivered_channel=row.delivered_channel,
        last_error=row.last_error,
        attempts=row.step,
        alert_id=row.alert_id,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        dead_at=row.dead_at,
        read_at=row.read_at,
    )


def attempt_view(row: NotificationAttempt) -> AttemptView:
    return AttemptView(
        notification_id=row.notification_id,
        step=row.step,
        channel_id=row.channel_id,
        channel_kind=row.channel_kind,
        outcome=row.outcome,
        error=row.error,
        latency_ms=row.latency_ms,
        attempted_at=row.attempted_at,
    )


def channel_view(row: NotificationChannel) -> ChannelView:
    return ChannelView(
        id=row.id,
        kind=row.kind,
        label=row.label,
        position=row.position,
        enabled=row.enabled,
        consent_at=row.consent_at,
        has_destination=row.destination_encrypted is not None,
    )


def diagnosis_view(report: Diagnosis) -> DiagnosisView:
    return DiagnosisView(
        user_id=report.user_id,
        checked_at=report.checked_at,
        service=asdict(report.service),
        language=report.language,
        in_app_only_events=report.in_app_only_events,
        channels=[ChannelDiagnosisView(**asdict(c)) for c in report.channels],
        recent_attempts=[attempt_view(a) for a in report.recent_attempts],
        findings=[FindingView(**asdict(f)) for f in report.findings],
    )
