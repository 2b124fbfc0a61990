"""Operator alerts and user notifications raised by the prediction engine, through the alerts
service and the notifications outbox (both write in the caller's transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts.service import raise_alert
from botfolio.clock import Clock
from botfolio.logs import get_logger
from botfolio.notifications.service import queue_notification

log = get_logger(__name__)

ROLLBACK_RULE = "predictions.rollback"
DELAYED_EVENT = "predictions.delayed"


async def queue_operator_alert(
    session: AsyncSession,
    clock: Clock,
    *,
    severity: str,
    key: str,
    title: str,
    details: dict[str, Any],
) -> None:
    """An operator alert grouped by `key` (a repeat only counts another occurrence)."""
    await raise_alert(
        session,
        clock,
        rule=ROLLBACK_RULE,
        severity=severity,
        fingerprint=key,
        summary=title,
        details=details,
    )
    log.error("prediction.alert", severity=severity, key=key, title=title, **details)


async def queue_delay_notification(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: str,
    bot_id: str | None,
    reason: str,
    dedup_key: str,
) -> None:
    """Tell a user their bot is holding because predictions are delayed (once per `dedup_key`)."""
    await queue_notification(
        session,
        clock,
        user_id=user_id,
        event=DELAYED_EVENT,
        data={"bot": bot_id or "-", "reason": reason},
        dedup_key=dedup_key,
    )
    log.warning("prediction.user_notified", user_id=user_id, bot_id=bot_id, dedup_key=dedup_key)
