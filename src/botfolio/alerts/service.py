"""Operator alert use cases: raise (grouped by fingerprint), acknowledge, resolve, list.

Everything writes in the caller's transaction and never commits. A new alert is audited and
wakes the paging job at once; repeats of an open alert only bump its occurrence count.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts import repository
from botfolio.alerts.models import SEVERITY_RANK, Alert, AlertStatus, Severity
from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError
from botfolio.jobs.service import enqueue
from botfolio.logs import get_logger

log = get_logger(__name__)

DISPATCH_KIND = "alerts.dispatch"
SUMMARY_MAX = 500
FINGERPRINT_MAX = 200


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError as exc:
        raise ValidationFailedError(
            f"severity must be one of {', '.join(s.value for s in Severity)}"
        ) from exc


async def raise_alert(
    session: AsyncSession,
    clock: Clock,
    *,
    rule: str,
    severity: str,
    fingerprint: str,
    summary: str,
    details: dict[str, Any] | None = None,
) -> Alert:
    """Open an alert, or count one more occurrence of the open alert with this fingerprint.

    A repeat at a higher severity raises the open alert's severity and pages again.
    """
    level = _severity(severity)
    if not 0 < len(fingerprint) <= FINGERPRINT_MAX or not rule:
        raise ValidationFailedError("an alert needs a rule and a fingerprint of 1..200 chars")
    clean = json.loads(json.dumps(details or {}, default=str))
    now = clock.now()
    values = {
        "id": new_id(),
        "rule": rule[:100],
        "severity": level.value,
        "fingerprint": fingerprint,
        "open_fingerprint": fingerprint,
        "summary": summary[:SUMMARY_MAX],
        "details": clean,
        "status": AlertStatus.OPEN.value,
        "occurrences": 1,
        "first_seen_at": now,
        "last_seen_at": now,
        "escalation_level": 0,
        "pages_sent": 0,
        "next_page_at": None if level == Severity.INFO else now,
        "updated_at": now,
    }
    alert = await repository.insert_unless_open(session, values)
    if alert is not None:
        await _announce_new(session, clock, alert)
        return alert
    return await _repeat(session, clock, fingerprint, level, summary, clean)


async def _announce_new(session: AsyncSession, clock: Clock, alert: Alert) -> None:
    await record_event(
        session,
        clock,
        actor=Actor.system(),
        action="alert.raised",
        target_type="alert",
        target_id=alert.id,
        details={"rule": alert.rule, "severity": alert.severity, "fingerprint": alert.fingerprint},
    )
    if alert.next_page_at is not None:
        await enqueue(
            session,
            DISPATCH_KIND,
            {"alert_id": alert.id},
            idempotency_key=f"{DISPATCH_KIND}:{alert.id}",
            clock=clock,
        )
    log.warning("alert.raised", alert_id=alert.id, rule=alert.rule, severity=alert.severity)


async def _repeat(
    session: AsyncSession,
    clock: Clock,
    fingerprint: str,
    level: Severity,
    summary: str,
    details: dict[str, Any],
) -> Alert:
    existing = await repository.open_by_fingerprint(session, fingerprint)
    if existing is None:
        raise ConflictError("the alert was resolved concurrently; raise it again")
    now = clock.now()
    values: dict[str, Any] = {"last_seen_at": now, "details": details, "updated_at": now}
    if SEVERITY_RANK[level] > SEVERITY_RANK[Severity(existing.severity)]:
        values.update(severity=level.value, summary=summary[:SUMMARY_MAX], next_page_at=now)
        if existing.status == AlertStatus.ACKNOWLEDGED:
            values["status"] = AlertStatus.OPEN.value
    await repository.bump_occurrence(session, existing.id, **values)
    refreshed = await repository.get_alert(session, existing.id)
    assert refreshed is not None  # noqa: S101 - locked above in this transaction
    return refreshed


async def get_alert(session: AsyncSession, alert_id: str) -> Alert:
    alert = await repository.get_alert(session, alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}", alert_id=alert_id)
    return alert


async def acknowledge(session: AsyncSession, clock: Clock, alert_id: str, *, actor: Actor) -> Alert:
    """Someone is on it: paging and escalation stop; the alert stays until resolved."""
    alert = await get_alert(session, alert_id)
    if alert.status != AlertStatus.OPEN:
        raise ConflictError(f"alert {alert_id} is {alert.status}", alert_id=alert_id)
    now = clock.now()
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_at = now
    alert.acknowledged_by = actor.user_id
    alert.next_page_at = None
    alert.updated_at = now
    await record_event(
        session,
        clock,
        actor=actor,
        action="alert.acknowledged",
        target_type="alert",
        target_id=alert.id,
        details={"pages_sent": alert.pages_sent, "escalation_level": alert.escalation_level},
    )
    return alert


async def resolve(
    session: AsyncSession, clock: Clock, alert_id: str, *, actor: Actor, note: str | None = None
) -> Alert:
    alert = await get_alert(session, alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise ConflictError(f"alert {alert_id} is already resolved", alert_id=alert_id)
    now = clock.now()
    alert.status = AlertStatus.RESOLVED.value
    alert.open_fingerprint = None
    alert.resolved_at = now
    alert.resolved_by = actor.user_id
    alert.resolution_note = (note or "")[:2000] or None
    alert.next_page_at = None
    alert.updated_at = now
    await record_event(
        session,
        clock,
        actor=actor,
        action="alert.resolved",
        target_type="alert",
        target_id=alert.id,
        details={"note": alert.resolution_note},
    )
    return alert


async def list_alerts(
    session: AsyncSession,
    *,
    status: str | None = None,
    severity: str | None = None,
    limit: int = 100,
) -> Sequence[Alert]:
    if status is not None and status not in set(AlertStatus):
        raise ValidationFailedError(f"unknown alert status {status!r}")
    if severity is not None:
        _severity(severity)
    if not 1 <= limit <= 1000:
        raise ValidationFailedError("limit must be between 1 and 1000")
    return await repository.list_alerts(session, status=status, severity=severity, limit=limit)
