"""One delivery step of one notification: pick the channel, send, record the attempt, decide.

A step runs as the job `notifications.deliver` {notification_id, step}. It reads in one short
transaction, sends with no transaction open, and writes the attempt, the new state and the next
step's job in a second one guarded by `step`: if a worker died after sending, the step runs again
and re-sends with the same idempotency key (the receiver de-duplicates); if it died after the
write, the re-run finds the step already taken and does nothing.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts.service import raise_alert
from botfolio.clock import Clock
from botfolio.db.database import Database
from botfolio.db.ids import new_id
from botfolio.logs import get_logger
from botfolio.notifications import repository
from botfolio.notifications.channels import decrypt_destination, view_of
from botfolio.notifications.metrics import (
    ATTEMPTS,
    DEAD_LETTERED,
    DELIVERY_LATENCY_SECONDS,
    SEND_SECONDS,
)
from botfolio.notifications.models import (
    AttemptOutcome,
    ChannelKind,
    Notification,
    NotificationAttempt,
    NotificationStatus,
)
from botfolio.notifications.planning import (
    Decision,
    DeliveryPosition,
    NextAction,
    build_plan,
    decide_after_attempt,
    unusable_reason,
)
from botfolio.notifications.ratelimit import ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders, OutgoingMessage, SendResult
from botfolio.notifications.service import enqueue_step
from botfolio.notifications.settings import NotificationSettings
from botfolio.security.crypto import FieldCipher

log = get_logger(__name__)

DEAD_LETTER_RULE = "notifications.dead_letter"


@dataclass
class DeliveryDeps:
    """What a worker process shares between delivery steps."""

    db: Database
    cipher: FieldCipher
    clock: Clock
    settings: NotificationSettings
    senders: ChannelSenders
    limiter: ChannelRateLimiter
    rng: random.Random


@dataclass(frozen=True)
class StepTarget:
    notification_id: str
    user_id: str
    step: int
    created_at: datetime
    message: OutgoingMessage
    position: DeliveryPosition
    channel_id: str | None
    channel_kind: str
    destination: str | None
    unusable: str | None


async def deliver_step(deps: DeliveryDeps, notification_id: str, step: int, worker_id: str) -> None:
    async with deps.db.transaction() as session:
        target = await _prepare(session, deps, notification_id, step)
    if target is None:
        return
    result, latency = await _send(deps, target)
    async with deps.db.transaction() as session:
        await _record(session, deps, target, result, latency, worker_id)


async def _prepare(
    session: AsyncSession, deps: DeliveryDeps, notification_id: str, step: int
) -> StepTarget | None:
    notification = await repository.get_notification(session, notification_id)
    if notification is None or notification.step != step:
        return None  # an earlier run of this step already recorded it
    if notification.status != NotificationStatus.QUEUED:
        return None
    plan = notification.plan
    if plan is None:
        plan = await _plan_for(session, notification)
        await repository.set_plan(session, notification_id, step, plan)
    return await _target(session, deps, notification, plan)


async def _plan_for(session: AsyncSession, notification: Notification) -> list[str]:
    channels = await repository.channels_of(session, notification.user_id)
    profile = await repository.get_profile(session, notification.user_id)
    muted = profile is not None and notification.event in profile.in_app_only_events
    return build_plan(
        [view_of(c) for c in channels],
        restrict_to=notification.channel_kinds,
        in_app_only=muted and notification.channel_kinds is None,
    )


async def _target(
    session: AsyncSession, deps: DeliveryDeps, notification: Notification, plan: list[str]
) -> StepTarget:
    channel_id = plan[notification.plan_index] if notification.plan_index < len(plan) else None
    channel = await repository.get_channel(session, channel_id) if channel_id else None
    kind = channel.kind if channel is not None else ChannelKind.IN_APP.value
    unusable = None
    destination = None
    if channel_id is not None and channel is None:
        unusable = "channel removed"
    elif channel is not None:
        unusable = unusable_reason(view_of(channel))
        destination = None if unusable else decrypt_destination(deps.cipher, channel)
    return StepTarget(
        notification_id=notification.id,
        user_id=notification.user_id,
        step=notification.step,
        created_at=notification.created_at,
        message=_message_of(notification),
        position=DeliveryPosition(
            plan_length=max(len(plan), 1),
            plan_index=notification.plan_index,
            channel_attempts=notification.channel_attempts,
        ),
        channel_id=channel_id,
        channel_kind=kind,
        destination=destination,
        unusable=unusable,
    )


def _message_of(notification: Notification) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=notification.id,
        event=notification.event,
        title=notification.title,
        body=notification.body,
        data=dict(notification.data),
        created_at=notification.created_at.isoformat(),
    )


async def _send(deps: DeliveryDeps, target: StepTarget) -> tuple[SendResult, float]:
    if target.unusable is not None:
        return SendResult(False, target.unusable, retryable=False), 0.0
    await deps.limiter.acquire(target.channel_kind)
    started = time.perf_counter()
    result = await deps.senders.send(target.channel_kind, target.destination, target.message)
    elapsed = time.perf_counter() - started
    SEND_SECONDS.labels(target.channel_kind).observe(elapsed)
    return result, elapsed


def _outcome(result: SendResult, target: StepTarget) -> AttemptOutcome:
    if result.delivered:
        return AttemptOutcome.DELIVERED
    return AttemptOutcome.SKIPPED if target.unusable is not None else AttemptOutcome.FAILED


async def _record(
    session: AsyncSession,
    deps: DeliveryDeps,
    target: StepTarget,
    result: SendResult,
    latency: float,
    worker_id: str,
) -> None:
    decision = decide_after_attempt(
        target.position,
        delivered=result.delivered,
        retryable=result.retryable,
        settings=deps.settings,
        rng=deps.rng,
    )
    now = deps.clock.now()
    values = _state_after(decision, target, result, now)
    if not await repository.advance(session, target.notification_id, target.step, **values):
        log.info("notification.step_already_recorded", notification_id=target.notification_id)
        return
    outcome = _outcome(result, target)
    repository.add_attempt(session, _attempt_row(target, outcome, result, latency, worker_id, now))
    if decision.action in (NextAction.RETRY_SAME_CHANNEL, NextAction.NEXT_CHANNEL):
        await _enqueue_next(session, deps.clock, target, decision, now)
    elif decision.action == NextAction.DEAD:
        await _dead_letter(session, deps.clock, target, result)
    ATTEMPTS.labels(target.channel_kind, outcome.value).inc()
    if decision.action == NextAction.DONE:
        DELIVERY_LATENCY_SECONDS.labels(target.channel_kind).observe(
            max(0.0, (now - target.created_at).total_seconds())
        )


def _state_after(
    decision: Decision, target: StepTarget, result: SendResult, now: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "plan_index": decision.plan_index,
        "channel_attempts": decision.channel_attempts,
        "updated_at": now,
    }
    if result.error is not None:
        values["last_error"] = f"{target.channel_kind}: {result.error}"
    if decision.action == NextAction.DONE:
        values.update(
            status=NotificationStatus.DELIVERED.value,
            delivered_channel=target.channel_kind,
            delivered_at=now,
            next_attempt_at=None,
        )
    elif decision.action == NextAction.DEAD:
        values.update(status=NotificationStatus.DEAD.value, dead_at=now, next_attempt_at=None)
    else:
        values["next_attempt_at"] = now + decision.delay
    return values


def _attempt_row(
    target: StepTarget,
    outcome: AttemptOutcome,
    result: SendResult,
    latency: float,
    worker_id: str,
    now: datetime,
) -> NotificationAttempt:
    return NotificationAttempt(
        id=new_id(),
        notification_id=target.notification_id,
        user_id=target.user_id,
        step=target.step,
        channel_id=target.channel_id,
        channel_kind=target.channel_kind,
        outcome=outcome.value,
        error=result.error,
        latency_ms=round(latency * 1000, 3),
        worker_id=worker_id[:100],
        attempted_at=now,
    )


async def _enqueue_next(
    session: AsyncSession, clock: Clock, target: StepTarget, decision: Decision, now: datetime
) -> None:
    await enqueue_step(
        session, clock, target.notification_id, target.step + 1, run_after=now + decision.delay
    )


async def _dead_letter(
    session: AsyncSession, clock: Clock, target: StepTarget, result: SendResult
) -> None:
    """No channel could deliver: keep the row (failure history) and tell the operators."""
    alert = await raise_alert(
        session,
        clock,
        rule=DEAD_LETTER_RULE,
        severity="warning",
        fingerprint=f"{DEAD_LETTER_RULE}:{target.channel_kind}",
        summary=f"notifications dead-lettered after the last channel ({target.channel_kind}) failed",
        details={
            "last_notification_id": target.notification_id,
            "user_id": target.user_id,
            "event": target.message.event,
            "error": result.error,
        },
    )
    await repository.set_alert(session, target.notification_id, alert.id)
    DEAD_LETTERED.inc()
    log.error(
        "notification.dead_lettered",
        notification_id=target.notification_id,
        channel=target.channel_kind,
        alert_id=alert.id,
    )
