"""The dispatcher: lease a batch of due notifications, send them concurrently, record every
attempt and each notification's next state in one transaction.

Runs inside the job `notifications.dispatch`. Sends happen with no transaction open. If the
dispatcher dies after sending and before recording, its lease lapses and another dispatcher sends
again with the same idempotency key (receivers de-duplicate); a dispatcher that outlived its lease
finds its rows taken over and records nothing for them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    NotificationChannel,
    NotificationProfile,
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
from botfolio.notifications.ratelimit import ChannelRateLimited, ChannelRateLimiter
from botfolio.notifications.senders import ChannelSenders, OutgoingMessage, SendResult
from botfolio.notifications.service import wake_dispatcher
from botfolio.notifications.settings import NotificationSettings
from botfolio.security.crypto import FieldCipher

log = get_logger(__name__)

DEAD_LETTER_RULE = "notifications.dead_letter"
# Batches in flight per dispatcher: one leases and records while the other sends.
PIPELINE_DEPTH = 2


@dataclass
class DeliveryDeps:
    """What a worker process shares between dispatch runs."""

    db: Database
    cipher: FieldCipher
    clock: Clock
    settings: NotificationSettings
    senders: ChannelSenders
    limiter: ChannelRateLimiter
    rng: random.Random
    running: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class Target:
    """One leased notification and the channel its next attempt uses."""

    notification_id: str
    user_id: str
    step: int
    created_at: datetime
    last_error: str | None
    message: OutgoingMessage
    position: DeliveryPosition
    channel_id: str | None
    channel_kind: str
    destination: str | None
    unusable: str | None


@dataclass(frozen=True)
class Sent:
    result: SendResult | None  # None: deferred by the rate limit, not attempted
    latency: float


@dataclass(frozen=True)
class BatchReport:
    leased: int
    delivered: int
    failed: int
    dead: int


async def dispatch(deps: DeliveryDeps, owner: str) -> int:
    """Deliver due notifications until none is due or the time budget is spent.

    Returns how many were processed. Afterwards, the next future due time (a backoff) gets a
    dispatch job of its own, so retries happen even without a scheduler running.
    """
    async with deps.running:  # one dispatcher per process: more would only contend for the pool
        return await _dispatch_until_idle(deps, owner)


async def _dispatch_until_idle(deps: DeliveryDeps, owner: str) -> int:
    deadline = time.monotonic() + deps.settings.dispatch_budget_seconds
    counts = await asyncio.gather(
        *(_batches_until_idle(deps, owner, deadline) for _ in range(PIPELINE_DEPTH))
    )
    total = sum(counts)
    async with deps.db.transaction() as session:
        now = deps.clock.now()
        upcoming = now if time.monotonic() >= deadline else None
        upcoming = upcoming or await repository.next_due_after(session, now)
        if upcoming is not None:
            await wake_dispatcher(session, deps.clock, at=upcoming)
    return total


async def _batches_until_idle(deps: DeliveryDeps, owner: str, deadline: float) -> int:
    total = 0
    while time.monotonic() < deadline:
        report = await dispatch_batch(deps, owner)
        total += report.leased
        if report.leased == 0:
            break
    return total


async def dispatch_batch(deps: DeliveryDeps, owner: str) -> BatchReport:
    """Lease one batch, send it, record it. The unit the chaos test kills in the middle of."""
    began = time.perf_counter()
    async with deps.db.transaction() as session:
        targets = await _lease(session, deps, owner)
    if not targets:
        return BatchReport(0, 0, 0, 0)
    leased = time.perf_counter()
    sent = await _send_all(deps, targets)
    sent_at = time.perf_counter()
    async with deps.db.transaction() as session:
        report = await _record(session, deps, owner, targets, sent)
    log.info(
        "notifications.batch",
        leased=report.leased,
        delivered=report.delivered,
        failed=report.failed,
        dead=report.dead,
        lease_ms=round((leased - began) * 1000, 1),
        send_ms=round((sent_at - leased) * 1000, 1),
        record_ms=round((time.perf_counter() - sent_at) * 1000, 1),
    )
    return report


async def _lease(session: AsyncSession, deps: DeliveryDeps, owner: str) -> list[Target]:
    now = deps.clock.now()
    rows = await repository.claim_due(
        session,
        now=now,
        limit=deps.settings.batch_size,
        owner=owner,
        lease_until=now + timedelta(seconds=deps.settings.lease_seconds),
    )
    if not rows:
        return []
    user_ids = sorted({row.user_id for row in rows})
    channels = {c.id: c for c in await repository.channels_for_users(session, user_ids)}
    unplanned = [row for row in rows if row.plan is None]
    profiles = await repository.profiles_for(session, user_ids) if unplanned else {}
    plans = {
        row.id: _plan_for(row, channels.values(), profiles.get(row.user_id)) for row in unplanned
    }
    await repository.store_plans(session, plans)
    return [
        _target(deps.cipher, row, plans.get(row.id) or row.plan or [], channels) for row in rows
    ]


def _plan_for(
    row: Notification,
    channels: Sequence[NotificationChannel] | Any,
    profile: NotificationProfile | None,
) -> list[str]:
    muted = profile is not None and row.event in profile.in_app_only_events
    return build_plan(
        [view_of(c) for c in channels if c.user_id == row.user_id],
        restrict_to=row.channel_kinds,
        in_app_only=muted and row.channel_kinds is None,
    )


def _target(
    cipher: FieldCipher,
    row: Notification,
    plan: list[str],
    channels: dict[str, NotificationChannel],
) -> Target:
    channel_id = plan[row.plan_index] if row.plan_index < len(plan) else None
    channel = channels.get(channel_id) if channel_id else None
    unusable = None
    destination = None
    if channel_id is not None and channel is None:
        unusable = "channel removed"
    elif channel is not None:
        unusable = unusable_reason(view_of(channel))
        destination = None if unusable else decrypt_destination(cipher, channel)
    return Target(
        notification_id=row.id,
        user_id=row.user_id,
        step=row.step,
        created_at=row.created_at,
        last_error=row.last_error,
        message=OutgoingMessage(
            notification_id=row.id,
            event=row.event,
            title=row.title,
            body=row.body,
            data=dict(row.data),
            created_at=row.created_at.isoformat(),
        ),
        position=DeliveryPosition(max(len(plan), 1), row.plan_index, row.channel_attempts),
        channel_id=channel_id,
        channel_kind=channel.kind if channel is not None else ChannelKind.IN_APP.value,
        destination=destination,
        unusable=unusable,
    )


async def _send_all(deps: DeliveryDeps, targets: Sequence[Target]) -> list[Sent]:
    """Send over `max_in_flight` lanes, each working through the batch one send at a time.

    Lanes rather than one task per send behind a semaphore: a few keep-alive connections used
    back to back are several times faster than a crowd of tasks contending for the HTTP pool.
    """
    results: list[Sent | None] = [None] * len(targets)
    pending = iter(enumerate(targets))

    async def lane() -> None:
        for index, target in pending:
            results[index] = await _send(deps, target)

    await asyncio.gather(*(lane() for _ in range(min(deps.settings.max_in_flight, len(targets)))))
    return [sent for sent in results if sent is not None]


async def _send(deps: DeliveryDeps, target: Target) -> Sent:
    if target.unusable is not None:
        return Sent(SendResult(False, target.unusable, retryable=False), 0.0)
    try:
        await deps.limiter.acquire(target.channel_kind)
    except ChannelRateLimited:
        return Sent(None, 0.0)
    started = time.perf_counter()
    result = await deps.senders.send(target.channel_kind, target.destination, target.message)
    elapsed = time.perf_counter() - started
    SEND_SECONDS.labels(target.channel_kind).observe(elapsed)
    return Sent(result, elapsed)


async def _record(
    session: AsyncSession,
    deps: DeliveryDeps,
    owner: str,
    targets: Sequence[Target],
    sent: Sequence[Sent],
) -> BatchReport:
    held = await repository.still_leased(session, [t.notification_id for t in targets], owner)
    now = deps.clock.now()
    updates, attempts, dead = [], [], []
    for target, outcome in zip(targets, sent, strict=True):
        if target.notification_id not in held:
            continue  # our lease lapsed and another dispatcher owns it now
        if outcome.result is None:
            updates.append(_deferred(target, deps.settings, now))
            continue
        decision = decide_after_attempt(
            target.position,
            delivered=outcome.result.delivered,
            retryable=outcome.result.retryable,
            settings=deps.settings,
            rng=deps.rng,
        )
        updates.append(_state_after(decision, target, outcome.result, now))
        attempts.append(_attempt_row(target, outcome, owner, now))
        _observe(target, outcome.result, decision, now)
        if decision.action == NextAction.DEAD:
            dead.append((target, outcome.result))
    await repository.apply_outcomes(session, updates)
    await repository.insert_attempts(session, attempts)
    for target, result in dead:
        await _dead_letter(session, deps.clock, target, result)
    delivered = sum(1 for a in attempts if a["outcome"] == AttemptOutcome.DELIVERED)
    return BatchReport(len(targets), delivered, len(attempts) - delivered, len(dead))


def _base_values(target: Target, now: datetime) -> dict[str, Any]:
    return {
        "b_id": target.notification_id,
        "b_status": NotificationStatus.QUEUED.value,
        "b_plan_index": target.position.plan_index,
        "b_channel_attempts": target.position.channel_attempts,
        "b_step": target.step,
        "b_next_attempt_at": now,
        "b_delivered_channel": None,
        "b_delivered_at": None,
        "b_dead_at": None,
        "b_last_error": target.last_error,
        "b_updated_at": now,
    }


def _deferred(target: Target, settings: NotificationSettings, now: datetime) -> dict[str, Any]:
    values = _base_values(target, now)
    values["b_next_attempt_at"] = now + timedelta(seconds=settings.rate_limit_max_wait_seconds)
    return values


def _state_after(
    decision: Decision, target: Target, result: SendResult, now: datetime
) -> dict[str, Any]:
    values = _base_values(target, now)
    values.update(
        b_plan_index=decision.plan_index,
        b_channel_attempts=decision.channel_attempts,
        b_step=target.step + 1,
        b_next_attempt_at=now + decision.delay,
    )
    if result.error is not None:
        values["b_last_error"] = f"{target.channel_kind}: {result.error}"
    if decision.action == NextAction.DONE:
        values.update(
            b_status=NotificationStatus.DELIVERED.value,
            b_delivered_channel=target.channel_kind,
            b_delivered_at=now,
            b_next_attempt_at=None,
        )
    elif decision.action == NextAction.DEAD:
        values.update(b_status=NotificationStatus.DEAD.value, b_dead_at=now, b_next_attempt_at=None)
    return values


def _outcome(result: SendResult, target: Target) -> AttemptOutcome:
    if result.delivered:
        return AttemptOutcome.DELIVERED
    return AttemptOutcome.SKIPPED if target.unusable is not None else AttemptOutcome.FAILED


def _attempt_row(target: Target, sent: Sent, owner: str, now: datetime) -> dict[str, Any]:
    assert sent.result is not None  # noqa: S101 - deferred sends are not attempts
    return {
        "id": new_id(),
        "notification_id": target.notification_id,
        "user_id": target.user_id,
        "step": target.step,
        "channel_id": target.channel_id,
        "channel_kind": target.channel_kind,
        "outcome": _outcome(sent.result, target).value,
        "error": sent.result.error,
        "latency_ms": round(sent.latency * 1000, 3),
        "worker_id": owner[:100],
        "attempted_at": now,
    }


def _observe(target: Target, result: SendResult, decision: Decision, now: datetime) -> None:
    ATTEMPTS.labels(target.channel_kind, _outcome(result, target).value).inc()
    if decision.action == NextAction.DONE:
        age = max(0.0, (now - target.created_at).total_seconds())
        DELIVERY_LATENCY_SECONDS.labels(target.channel_kind).observe(age)


async def _dead_letter(
    session: AsyncSession, clock: Clock, target: Target, result: SendResult
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
