"""Operator alerts and user notifications raised by the prediction engine.

TODO(alerts): the alerts and notifications outbox (`botfolio.alerts` / `botfolio.notifications`)
is being written in parallel. Until it lands, the intent is recorded as an audit event (in the
caller's transaction, so it commits with the change it reports) and logged. Once it exists,
replace the bodies with `botfolio.alerts.service.raise_alert(session, clock, severity="critical",
source="predictions", key=..., title=..., details=...)` and
`botfolio.notifications.service.queue_notification(session, clock, user_id=..., topic=...,
title=..., body=..., dedup_key=...)`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.audit.service import Actor, record_event
from botfolio.clock import Clock
from botfolio.logs import get_logger

log = get_logger(__name__)

ALERT_ACTION = "alert.raised"
NOTIFICATION_ACTION = "notification.queued"


async def queue_operator_alert(
    session: AsyncSession,
    clock: Clock,
    *,
    severity: str,
    key: str,
    title: str,
    details: dict[str, Any],
) -> None:
    """A de-duplicable operator alert (`key`), recorded with the change that caused it."""
    await record_event(
        session,
        clock,
        actor=Actor.system(),
        action=ALERT_ACTION,
        target_type="alert",
        target_id=key,
        details={"severity": severity, "source": "predictions", "title": title, **details},
    )
    log.error("prediction.alert", severity=severity, key=key, title=title, **details)


async def queue_user_notification(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: str,
    topic: str,
    title: str,
    body: str,
    dedup_key: str,
) -> None:
    """A message to one user, queued in the caller's transaction (delivery is the outbox's job)."""
    await record_event(
        session,
        clock,
        actor=Actor.system(),
        action=NOTIFICATION_ACTION,
        target_type="user",
        target_id=user_id,
        details={"topic": topic, "title": title, "body": body, "dedup_key": dedup_key},
    )
    log.warning("prediction.user_notified", user_id=user_id, topic=topic, dedup_key=dedup_key)
