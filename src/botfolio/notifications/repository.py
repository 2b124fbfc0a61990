"""All SQL on the notification tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
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


async def set_plan(session: AsyncSession, notification_id: str, step: int, plan: list[str]) -> bool:
    stmt = (
        update(Notification)
        .where(Notification.id == notification_id, Notification.step == step)
        .values(plan=plan)
        .returning(Notification.id)
        .execution_options(**NO_SYNC)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


def add_attempt(session: AsyncSession, attempt: NotificationAttempt) -> None:
    session.add(attempt)


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
