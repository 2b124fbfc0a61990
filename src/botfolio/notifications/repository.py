"""All SQL on the notification tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.notifications.models import (
    AttemptOutcome,
    Notification,
    NotificationAttempt,
    NotificationChannel,
    NotificationProfile,
    NotificationStatus,
)

NO_SYNC = {"synchronize_session": False}
_notifications: Table = Notification.__table__  # type: ignore[assignment]
_attempts: Table = NotificationAttempt.__table__  # type: ignore[assignment]
OUTCOME_COLUMNS = (
    "status",
    "plan_index",
    "channel_attempts",
    "step",
    "next_attempt_at",
    "delivered_channel",
    "delivered_at",
    "dead_at",
    "last_error",
    "updated_at",
)


@dataclass(frozen=True)
class FailureFilter:
    since: datetime | None = None
    until: datetime | None = None
    channel_kind: str | None = None
    user_id: str | None = None
    limit: int = 100


async def insert_unless_dedup_key_exists(
    session: AsyncSession, values: dict[str, Any]
) -> Notification | None:
    """INSERT .. ON CONFLICT (dedup_key) DO NOTHING; None when that event was already queued."""
    dialect = session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Notification.dedup_key])
        .returning(Notification)
    )
    return (await session.scalars(stmt)).one_or_none()


async def by_dedup_key(session: AsyncSession, dedup_key: str) -> Notification | None:
    stmt = select(Notification).where(Notification.dedup_key == dedup_key)
    return (await session.scalars(stmt)).one_or_none()


async def get_notification(session: AsyncSession, notification_id: str) -> Notification | None:
    return await session.get(Notification, notification_id, populate_existing=True)


async def channels_of(session: AsyncSession, user_id: str) -> Sequence[NotificationChannel]:
    stmt = (
        select(NotificationChannel)
        .where(NotificationChannel.user_id == user_id)
        .order_by(NotificationChannel.position, NotificationChannel.id)
    )
    return (await session.scalars(stmt)).all()


async def get_channel(session: AsyncSession, channel_id: str) -> NotificationChannel | None:
    return await session.get(NotificationChannel, channel_id)


async def get_profile(session: AsyncSession, user_id: str) -> NotificationProfile | None:
    return await session.get(NotificationProfile, user_id)


async def advance(session: AsyncSession, notification_id: str, step: int, **values: Any) -> bool:
    """Move a notification past `step`; False when another run already did (the write guard)."""
    stmt = (
        update(Notification)
        .where(Notification.id == notification_id, Notification.step == step)
        .values(step=step + 1, **values)
        .returning(Notification.id)
        .execution_options(**NO_SYNC)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def notifications_of(
    session: AsyncSession, user_id: str, *, limit: int
) -> Sequence[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def failures(session: AsyncSession, flt: FailureFilter) -> Sequence[Notification]:
    """Dead-lettered notifications, plus queued ones that already failed at least once."""
    stmt = select(Notification).where(
        (Notification.status == NotificationStatus.DEAD)
        | (
            (Notification.status == NotificationStatus.QUEUED)
            & Notification.last_error.is_not(None)
        )
    )
    if flt.since is not None:
        stmt = stmt.where(Notification.created_at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(Notification.created_at < flt.until)
    if flt.user_id is not None:
        stmt = stmt.where(Notification.user_id == flt.user_id)
    if flt.channel_kind is not None:
        tried = select(NotificationAttempt.notification_id).where(
            NotificationAttempt.channel_kind == flt.channel_kind,
            NotificationAttempt.outcome == AttemptOutcome.FAILED,
        )
        stmt = stmt.where(Notification.id.in_(tried))
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(flt.limit)
    return (await session.scalars(stmt)).all()


async def attempts_of(
    session: AsyncSession,
    *,
    user_id: str | None = None,
    notification_ids: Sequence[str] | None = None,
    limit: int = 100,
) -> Sequence[NotificationAttempt]:
    stmt = select(NotificationAttempt)
    if user_id is not None:
        stmt = stmt.where(NotificationAttempt.user_id == user_id)
    if notification_ids is not None:
        stmt = stmt.where(NotificationAttempt.notification_id.in_(notification_ids))
    stmt = stmt.order_by(
        NotificationAttempt.attempted_at.desc(), NotificationAttempt.id.desc()
    ).limit(limit)
    return (await session.scalars(stmt)).all()


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    stmt = select(Notification.status, func.count()).group_by(Notification.status)
    return {status: count for status, count in (await session.execute(stmt)).all()}


async def oldest_queued_created_at(session: AsyncSession) -> datetime | None:
    stmt = select(func.min(Notification.created_at)).where(
        Notification.status == NotificationStatus.QUEUED
    )
    oldest: datetime | None = (await session.execute(stmt)).scalar_one_or_none()
    return oldest


async def set_alert(session: AsyncSession, notification_id: str, alert_id: str) -> None:
    stmt = (
        update(Notification)
        .where(Notification.id == notification_id)
        .values(alert_id=alert_id)
        .execution_options(**NO_SYNC)
    )
    await session.execute(stmt)


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, owner: str, lease_until: datetime
) -> Sequence[Notification]:
    """Lease up to `limit` due notifications for one dispatcher.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent dispatchers take disjoint rows; SQLite: the
    write lock taken at BEGIN IMMEDIATE. A row whose dispatcher died is due again once its lease
    has expired.
    """
    stmt = (
        select(Notification)
        .where(
            Notification.status == NotificationStatus.QUEUED,
            Notification.next_attempt_at <= now,
            or_(Notification.lease_expires_at.is_(None), Notification.lease_expires_at <= now),
        )
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.scalars(stmt.execution_options(populate_existing=True))).all()
    if rows:
        await session.execute(
            update(Notification)
            .where(Notification.id.in_([row.id for row in rows]))
            .values(lease_owner=owner, lease_expires_at=lease_until)
            .execution_options(**NO_SYNC)
        )
    return rows


async def channels_for_users(
    session: AsyncSession, user_ids: Sequence[str]
) -> Sequence[NotificationChannel]:
    stmt = select(NotificationChannel).where(NotificationChannel.user_id.in_(user_ids))
    return (await session.scalars(stmt)).all()


async def profiles_for(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, NotificationProfile]:
    stmt = select(NotificationProfile).where(NotificationProfile.user_id.in_(user_ids))
    return {profile.user_id: profile for profile in (await session.scalars(stmt)).all()}


async def store_plans(session: AsyncSession, plans: dict[str, list[str]]) -> None:
    if not plans:
        return
    stmt = (
        update(_notifications)
        .where(_notifications.c.id == bindparam("b_id"))
        .values(plan=bindparam("b_plan"))
    )
    rows = [{"b_id": nid, "b_plan": plan} for nid, plan in plans.items()]
    await session.execute(stmt, rows, execution_options=NO_SYNC)


async def still_leased(session: AsyncSession, ids: Sequence[str], owner: str) -> set[str]:
    """The ids this dispatcher still holds (locked until commit); others were taken over."""
    stmt = (
        select(Notification.id)
        .where(Notification.id.in_(ids), Notification.lease_owner == owner)
        .with_for_update()
    )
    return set((await session.scalars(stmt)).all())


async def apply_outcomes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany: each row gives `b_id` and every column of OUTCOME_COLUMNS; the lease ends."""
    if not rows:
        return
    stmt = (
        update(_notifications)
        .where(_notifications.c.id == bindparam("b_id"))
        .values(
            lease_owner=None,
            lease_expires_at=None,
            **{column: bindparam(f"b_{column}") for column in OUTCOME_COLUMNS},
        )
    )
    await session.execute(stmt, list(rows), execution_options=NO_SYNC)


async def insert_attempts(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(_attempts), list(rows))


async def next_due_after(session: AsyncSession, now: datetime) -> datetime | None:
    stmt = select(func.min(Notification.next_attempt_at)).where(
        Notification.status == NotificationStatus.QUEUED, Notification.next_attempt_at > now
    )
    moment: datetime | None = (await session.execute(stmt)).scalar_one_or_none()
    return moment


async def oldest_due_queued(session: AsyncSession, now: datetime) -> datetime | None:
    """When the longest-waiting due notification became due (the dispatch latency)."""
    stmt = select(func.min(Notification.next_attempt_at)).where(
        Notification.status == NotificationStatus.QUEUED, Notification.next_attempt_at <= now
    )
    moment: datetime | None = (await session.execute(stmt)).scalar_one_or_none()
    return moment
