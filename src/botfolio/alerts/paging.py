"""Paging the on-call responder: route by severity, repeat until acknowledged, escalate.

Runs as the job `alerts.dispatch` (woken by a new alert, and every evaluation interval). Pages are
ordinary user notifications to the responder, limited to the routed channel kinds, so they get
the same retries, consent checks and delivery history as everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts import repository
from botfolio.alerts.models import Alert
from botfolio.alerts.rota import responder_for_level, responders_at
from botfolio.alerts.settings import AlertSettings, SeverityRoute
from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.logs import get_logger
from botfolio.notifications.service import queue_notification

log = get_logger(__name__)

NOBODY_ON_CALL_RETRY = timedelta(seconds=60)
BATCH = 200


@dataclass(frozen=True)
class Page:
    alert_id: str
    user_id: str
    level: int
    channels: tuple[str, ...]


async def process_due_alerts(
    session: AsyncSession, clock: Clock, policy: AlertSettings
) -> list[Page]:
    """Page (or re-page, or escalate) every open alert whose next page is due."""
    now = clock.now()
    due = await repository.due_for_paging(session, now, limit=BATCH)
    if not due:
        return []
    responders = await responders_at(session, now)
    pages: list[Page] = []
    for alert in due:
        route = policy.routes.get(alert.severity)
        if route is None or route.digest or not route.channels:
            alert.next_page_at = None
            continue
        page = await _page_one(session, clock, alert, route, responders, now)
        if page is not None:
            pages.append(page)
    return pages


async def _page_one(
    session: AsyncSession,
    clock: Clock,
    alert: Alert,
    route: SeverityRoute,
    responders: list[str],
    now: datetime,
) -> Page | None:
    if _escalation_due(alert, route, now) and alert.escalation_level + 1 < len(responders):
        await _escalate(session, clock, alert, now)
    responder = responder_for_level(responders, alert.escalation_level)
    if responder is None:
        log.error("alert.nobody_on_call", alert_id=alert.id, severity=alert.severity)
        alert.next_page_at = now + NOBODY_ON_CALL_RETRY
        return None
    for kind in route.channels:
        await queue_notification(
            session,
            clock,
            user_id=responder,
            event="alert.page",
            data=_page_data(alert),
            dedup_key=f"alert:{alert.id}:page:{alert.pages_sent}:{kind}",
            channel_kinds=[kind],
        )
    alert.pages_sent += 1
    alert.last_paged_at = now
    alert.paged_user_id = responder
    alert.level_since = alert.level_since or now
    alert.next_page_at = _next_page_at(alert, route, now)
    alert.updated_at = now
    log.warning("alert.paged", alert_id=alert.id, user_id=responder, level=alert.escalation_level)
    return Page(alert.id, responder, alert.escalation_level, tuple(route.channels))


def _escalation_due(alert: Alert, route: SeverityRoute, now: datetime) -> bool:
    if route.escalate_after_seconds is None or alert.pages_sent == 0 or alert.level_since is None:
        return False
    return now - alert.level_since >= timedelta(seconds=route.escalate_after_seconds)


async def _escalate(session: AsyncSession, clock: Clock, alert: Alert, now: datetime) -> None:
    alert.escalation_level += 1
    alert.level_since = now
    await record_event(
        session,
        clock,
        actor=Actor.system(),
        action="alert.escalated",
        target_type="alert",
        target_id=alert.id,
        details={"level": alert.escalation_level, "unacknowledged_pages": alert.pages_sent},
    )


def _next_page_at(alert: Alert, route: SeverityRoute, now: datetime) -> datetime | None:
    candidates = []
    if route.repeat_seconds is not None:
        candidates.append(now + timedelta(seconds=route.repeat_seconds))
    if route.escalate_after_seconds is not None and alert.level_since is not None:
        candidates.append(alert.level_since + timedelta(seconds=route.escalate_after_seconds))
    future = [moment for moment in candidates if moment > now]
    return min(future) if future else None


def _page_data(alert: Alert) -> dict[str, str | int]:
    return {
        "alert_id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity.upper(),
        "summary": alert.summary,
        "occurrences": alert.occurrences,
        "level": alert.escalation_level,
    }


async def send_info_digest(
    session: AsyncSession, clock: Clock, policy: AlertSettings, *, slot: datetime
) -> int:
    """One notification to the primary responder listing the info alerts of the last period."""
    since = slot - timedelta(seconds=policy.digest_interval_seconds)
    alerts = await repository.info_alerts_since(session, since)
    responders = await responders_at(session, clock.now())
    if not alerts or not responders:
        return 0
    lines = "\n".join(f"- {a.summary} (x{a.occurrences}, {a.status})" for a in alerts[:100])
    await queue_notification(
        session,
        clock,
        user_id=responders[0],
        event="alert.digest",
        data={"count": len(alerts), "lines": lines},
        dedup_key=f"alert:digest:{slot.isoformat()}",
    )
    return len(alerts)
