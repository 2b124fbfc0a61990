"""The public use cases: queue a notification in the caller's transaction, read, retry.

Other domains call `queue_notification` inside the transaction that records their event; the
notification row and its first delivery job commit (or roll back) with that event. Nothing here
commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.clock import Clock
from botfolio.db.ids import new_id
from botfolio.errors import ConflictError, NotFoundError, ValidationFailedError
from botfolio.jobs.models import Job, JobState
from botfolio.jobs.service import enqueue
from botfolio.logs import get_logger
from botfolio.notifications import repository
from botfolio.notifications.events import DEFAULT_LANGUAGE, render
from botfolio.notifications.models import ChannelKind, Notification, NotificationStatus
from botfolio.notifications.repository import FailureFilter

log = get_logger(__name__)

DISPATCH_KIND = "notifications.dispatch"
DISPATCH_JOB_MAX_ATTEMPTS = 5
DEDUP_KEY_MAX = 200
DATA_MAX_BYTES = 16 * 1024


async def queue_notification(
    session: AsyncSession,
    clock: Clock,
    *,
    user_id: str,
    event: str,
    data: dict[str, Any],
    dedup_key: str,
    channel_kinds: Sequence[str] | None = None,
) -> Notification:
    """Write a notification (and a job that wakes the dispatcher) in the caller's transaction.

    The same `dedup_key` twice (a retried event) returns the first notification and adds
    nothing, so a user is never told twice. `channel_kinds` limits delivery to those kinds
    (operator pages); by default the user's own fallback order decides.
    """
    _validate(event, data, dedup_key, channel_kinds)
    profile = await repository.get_profile(session, user_id)
    language = profile.language if profile else DEFAULT_LANGUAGE
    message = render(event, data, language)
    now = clock.now()
    values = {
        "id": new_id(),
        "user_id": user_id,
        "event": event,
        "dedup_key": dedup_key,
        "language": language,
        "title": message.title,
        "body": message.body,
        "data": data,
        "channel_kinds": list(channel_kinds) if channel_kinds is not None else None,
        "status": NotificationStatus.QUEUED.value,
        "plan": None,
        "plan_index": 0,
        "channel_attempts": 0,
        "step": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    notification = await repository.insert_unless_dedup_key_exists(session, values)
    if notification is None:
        existing = await repository.by_dedup_key(session, dedup_key)
        if existing is None:
            raise ConflictError("dedup key was taken concurrently; retry", dedup_key=dedup_key)
        log.debug(
            "notification.deduplicated", notification_id=existing.id, notification_event=event
        )
        return existing
    await wake_dispatcher(session, clock)
    log.info("notification.queued", notification_id=notification.id, notification_event=event)
    return notification


async def wake_dispatcher(
    session: AsyncSession, clock: Clock, *, at: datetime | None = None
) -> None:
    """Make sure a dispatch job runs at `at` (default now) and will see rows committed now.

    Keyed by the second it is due, so a burst of notifications wakes one dispatcher, not one
    each; when that second's job has already started, a fresh one is added. The remaining race
    (a job that starts and finishes between this call and the caller's commit) is covered by the
    scheduler's periodic dispatch every `dispatch_interval_seconds`.
    """
    moment = at or clock.now()
    key = f"{DISPATCH_KIND}:{moment.replace(microsecond=0).isoformat()}"
    job = await _enqueue_dispatch(session, clock, key, moment)
    if job.state != JobState.QUEUED:
        await _enqueue_dispatch(session, clock, f"{key}:{new_id()}", moment)


async def _enqueue_dispatch(session: AsyncSession, clock: Clock, key: str, moment: datetime) -> Job:
    return await enqueue(
        session,
        DISPATCH_KIND,
        {},
        idempotency_key=key,
        run_after=moment,
        max_attempts=DISPATCH_JOB_MAX_ATTEMPTS,
        clock=clock,
    )


def _validate(
    event: str, data: dict[str, Any], dedup_key: str, channel_kinds: Sequence[str] | None
) -> None:
    if not 0 < len(dedup_key) <= DEDUP_KEY_MAX:
        raise ValidationFailedError(f"dedup_key must be 1..{DEDUP_KEY_MAX} characters")
    try:
        encoded = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationFailedError(
            "notification data must be plain JSON; pass Decimals and times as strings"
        ) from exc
    if len(encoded.encode()) > DATA_MAX_BYTES:
        raise ValidationFailedError(f"notification data exceeds {DATA_MAX_BYTES} bytes")
    for kind in channel_kinds or ():
        if kind not in set(ChannelKind):
            raise ValidationFailedError(f"unknown channel kind {kind!r}", kind=kind)
    render(event, data, DEFAULT_LANGUAGE)  # unknown events are refused here, not at delivery


async def list_for_user(
    session: AsyncSession, user_id: str, *, limit: int = 50
) -> Sequence[Notification]:
    """The user's notifications, newest first: the in-app inbox (every notification is in it)."""
    if not 1 <= limit <= 500:
        raise ValidationFailedError("limit must be between 1 and 500")
    return await repository.notifications_of(session, user_id, limit=limit)


async def list_failures(session: AsyncSession, flt: FailureFilter) -> Sequence[Notification]:
    if not 1 <= flt.limit <= 1000:
        raise ValidationFailedError("limit must be between 1 and 1000")
    return await repository.failures(session, flt)


async def retry_notification(
    session: AsyncSession, clock: Clock, notification_id: str
) -> Notification:
    """Put a dead-lettered notification back on its whole fallback plan (recomputed)."""
    notification = await repository.get_notification(session, notification_id)
    if notification is None:
        raise NotFoundError(f"no notification {notification_id}", notification_id=notification_id)
    if notification.status != NotificationStatus.DEAD:
        raise ConflictError(
            f"notification {notification_id} is {notification.status}; only dead ones are retried",
            notification_id=notification_id,
        )
    step = notification.step
    now = clock.now()
    moved = await repository.advance(
        session,
        notification_id,
        step,
        status=NotificationStatus.QUEUED.value,
        plan=None,
        plan_index=0,
        channel_attempts=0,
        next_attempt_at=now,
        dead_at=None,
        lease_owner=None,
        lease_expires_at=None,
        updated_at=now,
    )
    if not moved:
        raise ConflictError(
            "the notification changed meanwhile; retry", notification_id=notification_id
        )
    await wake_dispatcher(session, clock)
    log.info("notification.retried", notification_id=notification_id)
    refreshed = await repository.get_notification(session, notification_id)
    assert refreshed is not None  # noqa: S101 - we just updated it in this transaction
    return refreshed


async def retry_many(
    session: AsyncSession, clock: Clock, notification_ids: Sequence[str]
) -> list[Notification]:
    if not 1 <= len(notification_ids) <= 1000:
        raise ValidationFailedError("retry between 1 and 1000 notifications at a time")
    return [
        await retry_notification(session, clock, nid) for nid in dict.fromkeys(notification_ids)
    ]


async def mark_read(
    session: AsyncSession, clock: Clock, user_id: str, notification_id: str
) -> Notification:
    notification = await repository.get_notification(session, notification_id)
    if notification is None or notification.user_id != user_id:
        raise NotFoundError(f"no notification {notification_id}", notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = clock.now()
    return notification
