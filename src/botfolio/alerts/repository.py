"""All SQL on the alert and on-call tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.alerts.models import Alert, AlertStatus, OncallShift

NO_SYNC = {"synchronize_session": False}


async def insert_unless_open(session: AsyncSession, values: dict[str, Any]) -> Alert | None:
    """Insert a new open alert; None when one with this fingerprint is already open."""
    dialect = session.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        dialect_insert(Alert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Alert.open_fingerprint])
        .returning(Alert)
    )
    return (await session.scalars(stmt)).one_or_none()


async def open_by_fingerprint(session: AsyncSession, fingerprint: str) -> Alert | None:
    stmt = select(Alert).where(Alert.open_fingerprint == fingerprint).with_for_update()
    alert: Alert | None = (
        await session.scalars(stmt.execution_options(populate_existing=True))
    ).one_or_none()
    return alert


async def bump_occurrence(session: AsyncSession, alert_id: str, **values: Any) -> None:
    stmt = (
        update(Alert)
        .where(Alert.id == alert_id)
        .values(occurrences=Alert.occurrences + 1, **values)
        .execution_options(**NO_SYNC)
    )
    await session.execute(stmt)


async def get_alert(session: AsyncSession, alert_id: str) -> Alert | None:
    return await session.get(Alert, alert_id, populate_existing=True)


async def due_for_paging(session: AsyncSession, now: datetime, *, limit: int) -> Sequence[Alert]:
    stmt = (
        select(Alert)
        .where(Alert.status == AlertStatus.OPEN, Alert.next_page_at <= now)
        .order_by(Alert.next_page_at, Alert.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(stmt)).all()


async def list_alerts(
    session: AsyncSession, *, status: str | None, severity: str | None, limit: int
) -> Sequence[Alert]:
    stmt = select(Alert).order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    if severity is not None:
        stmt = stmt.where(Alert.severity == severity)
    return (await session.scalars(stmt)).all()


async def unresolved_of_rule(session: AsyncSession, rule_prefix: str) -> Sequence[Alert]:
    stmt = select(Alert).where(
        Alert.status != AlertStatus.RESOLVED, Alert.rule.startswith(rule_prefix)
    )
    return (await session.scalars(stmt)).all()


async def info_alerts_since(session: AsyncSession, since: datetime) -> Sequence[Alert]:
    stmt = (
        select(Alert)
        .where(Alert.severity == "info", Alert.first_seen_at >= since)
        .order_by(Alert.first_seen_at)
    )
    return (await session.scalars(stmt)).all()


async def count_unresolved_by_severity(session: AsyncSession) -> dict[str, int]:
    stmt = (
        select(Alert.severity, func.count())
        .where(Alert.status != AlertStatus.RESOLVED)
        .group_by(Alert.severity)
    )
    return {severity: count for severity, count in (await session.execute(stmt)).all()}


async def shifts_at(session: AsyncSession, now: datetime) -> Sequence[OncallShift]:
    stmt = (
        select(OncallShift)
        .where(OncallShift.starts_at <= now, OncallShift.ends_at > now)
        .order_by(OncallShift.level, OncallShift.starts_at, OncallShift.id)
    )
    return (await session.scalars(stmt)).all()


async def all_shifts(session: AsyncSession, *, ending_after: datetime) -> Sequence[OncallShift]:
    stmt = (
        select(OncallShift)
        .where(OncallShift.ends_at > ending_after)
        .order_by(OncallShift.starts_at, OncallShift.level)
    )
    return (await session.scalars(stmt)).all()
